import { describe, expect, it } from "vitest";
import {
  Dense,
  EngineError,
  deserializeLayer,
  initBackend,
  initializeUnloaded,
  initializerCalls,
  withWeightBudget,
} from "./index.js";
import { isKeras1Version, keras1Key, refuseKeras1Version } from "./layer-refusals.js";

const L = (class_name: string, config: Record<string, unknown> = {}) => ({
  class_name,
  config: { name: "x", ...config },
});

function errorOf(fn: () => unknown): EngineError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error("expected an error");
}

describe("layers Kerastore cannot build say why", () => {
  it("an unimplemented built-in Keras layer is 'not supported yet', not a missing custom object", () => {
    const e = errorOf(() => deserializeLayer(L("StringLookup") as never));
    expect(e.code).toBe("unsupported");
    expect(e.message).toContain("Keras layer StringLookup is not supported by Kerastore yet");
    expect(e.message).not.toContain("customObjects");
  });

  it.each(["Lambda", "TFOpLambda", "TensorFlowOpLayer", "SlicingOpLambda"])(
    "%s is refused as Python code, naming the fix",
    (name) => {
      const e = errorOf(() => deserializeLayer(L(name, { function: "x" }) as never));
      expect(e.code).toBe("unsupported");
      expect(e.message).toContain("Python code");
      expect(e.message).toContain(`customObjects under "${name}"`);
    },
  );

  it("a custom class given for Lambda is used", () => {
    class MyLambda extends Dense {}
    const layer = deserializeLayer(L("Lambda", { units: 2 }) as never, { customObjects: { Lambda: MyLambda } });
    expect(layer).toBeInstanceOf(MyLambda);
  });

  it.each([
    ["Dense", { output_dim: 3, init: "glorot_uniform" }, "init"],
    ["Dense", { output_dim: 3 }, "output_dim"],
    ["Convolution2D", { nb_filter: 3, nb_row: 3, nb_col: 3 }, "nb_filter"],
    ["Conv1D", { filters: 3, kernel_size: 3, border_mode: "same" }, "border_mode"],
  ])("a Keras 1 %s config says it is Keras 1 (%j)", (name, config, key) => {
    const e = errorOf(() => deserializeLayer(L(name, config) as never));
    expect(e.code).toBe("unsupported");
    expect(e.message).toContain(`written by Keras 1 (its config has the Keras 1 key "${key}")`);
  });

  it("a Keras 1 layer class says it is Keras 1", () => {
    const e = errorOf(() => deserializeLayer(L("Merge", { mode: "concat" }) as never));
    expect(e.message).toContain("Merge is a Keras 1 layer class");
  });

  it("Keras 2 and 3 keys are not mistaken for Keras 1's", () => {
    expect(keras1Key("Embedding", { input_dim: 3, output_dim: 4 })).toBeUndefined();
    expect(keras1Key("Dense", { units: 4, kernel_initializer: "zeros" })).toBeUndefined();
    expect(isKeras1Version("2.2.4")).toBe(false);
    expect(isKeras1Version("1.2.2")).toBe(true);
    expect(() => refuseKeras1Version("1.2.2", "old.h5")).toThrow(
      /cannot deserialize old\.h5: it was written by Keras 1 \(keras_version "1\.2\.2"\)/,
    );
    expect(() => refuseKeras1Version("2.15.0", "new.h5")).not.toThrow();
  });
});

describe("a load defers initializers", () => {
  it("makes zeros under a budget with file weights, and initializeUnloaded runs what the file left", async () => {
    await initBackend();
    const json = {
      class_name: "Dense",
      config: { name: "d", units: 4, kernel_initializer: "ones", bias_initializer: "ones" },
      build_config: { input_shape: [null, 3] },
    };
    const before = initializerCalls();
    const layer = withWeightBudget({ fileWeights: { largest: [3, 4], total: 16 } }, () =>
      deserializeLayer(json as never),
    );
    expect(initializerCalls() - before).toBe(0);
    expect([...layer.weights[0]!.read().data]).toEqual(new Array(12).fill(0));
    // The file gave the kernel: only the bias's initializer runs.
    layer.weights[0]!.assign(new Array(12).fill(2));
    expect(initializeUnloaded(layer)).toBe(1);
    expect(initializerCalls() - before).toBe(1);
    expect([...layer.weights[0]!.read().data]).toEqual(new Array(12).fill(2));
    expect([...layer.weights[1]!.read().data]).toEqual([1, 1, 1, 1]);
    expect(initializeUnloaded(layer)).toBe(0);
    layer.dispose();
  });

  it("a config without file weights runs its initializers as before", async () => {
    await initBackend();
    const before = initializerCalls();
    const layer = deserializeLayer({
      class_name: "Dense",
      config: { name: "d", units: 2 },
      build_config: { input_shape: [null, 3] },
    } as never);
    expect(initializerCalls() - before).toBe(2);
    expect(layer.weights[0]!.pendingInitializer).toBeNull();
    layer.dispose();
  });
});
