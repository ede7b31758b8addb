import { describe, expect, it } from "vitest";
import { runPython, runPythonJson } from "../src/index.js";

describe("the Python reference harness", () => {
  it("runs the pinned TensorFlow and Keras", async () => {
    const versions = await runPythonJson<{ tf: string; keras: string }>(
      "import json, tensorflow as tf, keras; print(json.dumps({'tf': tf.__version__, 'keras': keras.__version__}))",
    );
    expect(versions).toEqual({ tf: "2.21.0", keras: "3.15.1" });
  });

  it("reports a failing snippet with its error", async () => {
    await expect(runPython("raise ValueError('boom')")).rejects.toThrow(/ValueError: boom/);
  });
});
