import { describe, expect, it } from "vitest";
import { stringifyPythonJson } from "./python-json.js";

describe("stringifyPythonJson", () => {
  it("writes whole numbers as ints, but as floats under the keys Keras 3 checks for floats", () => {
    // Keras 3's SGD refuses momentum=0 ("`momentum` must be a float between [0, 1]"): Python wrote 0.0.
    expect(stringifyPythonJson({ momentum: 0, learning_rate: 1, units: 3, rate: 0.5, epsilon: 1e-7 })).toBe(
      '{"momentum": 0.0, "learning_rate": 1.0, "units": 3, "rate": 0.5, "epsilon": 1e-07}',
    );
    expect(
      stringifyPythonJson({ learning_rate: { class_name: "ExponentialDecay", config: { decay_steps: 10 } } }),
    ).toBe('{"learning_rate": {"class_name": "ExponentialDecay", "config": {"decay_steps": 10}}}');
  });
});
