import type { HostTensor } from "@kerastore/core";
import * as engine from "@kerastore/engine";
import { readFixture, readFixtureNpy } from "@kerastore/fixtures";
import { BuiltinOperator, TensorType, readTflite, writeTflite } from "@kerastore/tflite";
import { beforeAll, describe, expect, it } from "vitest";
import { TfliteLoweringError, createTfliteRunner, lowerToTflite } from "./index.js";
import { cnn, fill, grid, mlp, rnn } from "./tflite-models.test-util.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

function predict(model: engine.Model, x: HostTensor): HostTensor {
  const y = model.predict(x as never) as unknown as HostTensor;
  return y;
}

beforeAll(async () => {
  await engine.initBackend();
});

describe("lowerToTflite", () => {
  for (const [name, build, shape] of [
    ["an MLP (BatchNormalization folded, gelu, swish, merges, Reshape, Dense on rank 3)", mlp, [1, 6]],
    ["a CNN (folded BatchNormalization, depthwise, separable and transposed convolutions, pooling)", cnn, [1, 8, 8, 2]],
    [
      "recurrent layers unrolled (SimpleRNN, LSTM backwards, GRU both ways, Keras 3 hard_sigmoid), causal Conv1D",
      rnn,
      [1, 5, 3],
    ],
  ] as const) {
    it(`runs ${name} in the interpreter as Keras computes it`, () => {
      const model = build();
      const x = grid([...shape], 7);
      const tflite = readTflite(writeTflite(lowerToTflite(model)));
      const runner = createTfliteRunner(tflite);
      try {
        expectAllClose(runner.predict([x])[0]!, predict(model, x), { rtol: 1e-5, floor: 1 });
      } finally {
        runner.dispose();
      }
    });
  }

  it("folds BatchNormalization and fuses relu as Python's converter does", () => {
    const tflite = lowerToTflite(cnn());
    const codes = tflite.subgraphs[0]!.operators.map((op) => tflite.operatorCodes[op.opcodeIndex]!.builtinCode);
    expect(codes[0]).toBe(BuiltinOperator.CONV_2D);
    // The BatchNormalization left no MUL/ADD behind; Dropout left nothing.
    expect(codes.filter((c) => c === BuiltinOperator.MUL || c === BuiltinOperator.ADD)).toEqual([]);
    expect(codes).toContain(BuiltinOperator.DEPTHWISE_CONV_2D);
    expect(codes).toContain(BuiltinOperator.TRANSPOSE_CONV);
  });

  it("fixes the batch size to 1, or the one given", () => {
    const model = mlp();
    const one = lowerToTflite(model);
    expect(one.subgraphs[0]!.tensors[one.subgraphs[0]!.inputs[0]!]!.shape).toEqual([1, 6]);
    const four = lowerToTflite(model, { batchSize: 4 });
    const x = grid([4, 6], 3);
    const runner = createTfliteRunner(four);
    expectAllClose(runner.predict([x])[0]!, predict(model, x), { rtol: 1e-5, floor: 1 });
    runner.dispose();
    expect(() => lowerToTflite(model, { batchSize: 0 })).toThrow(TfliteLoweringError);
  });

  it("stores float16 weights with DEQUANTIZE, and int8 weights for dynamic-range quantization", () => {
    const model = cnn();
    const half = lowerToTflite(model, { quantize: "float16" });
    const graph = half.subgraphs[0]!;
    expect(graph.tensors.some((t) => t.type === TensorType.FLOAT16)).toBe(true);
    expect(half.operatorCodes.map((c) => c.builtinCode)).toContain(BuiltinOperator.DEQUANTIZE);
    const x = grid([1, 8, 8, 2], 5);
    const r16 = createTfliteRunner(readTflite(writeTflite(half)));
    expectAllClose(r16.predict([x])[0]!, predict(model, x), { rtol: 1e-2, floor: 1 });
    r16.dispose();
    // Dense kernels of 1024+ elements become int8 with one scale; the small ones stay float32.
    const inputs = engine.Input({ shape: [64], name: "v" });
    const dense = fill(
      new engine.Model({
        inputs,
        outputs: new engine.Dense({ units: 4 }).apply(new engine.Dense({ units: 32 }).apply(inputs)),
        name: "two",
      }),
      3,
    );
    const int8 = lowerToTflite(dense, { quantize: "dynamic-range" });
    const types = int8.subgraphs[0]!.tensors.filter((t) => t.buffer !== 0 && t.shape.length === 2).map((t) => t.type);
    expect(types).toEqual([TensorType.INT8, TensorType.FLOAT32]);
    // One scale per output unit (per channel), zero points 0.
    const q = int8.subgraphs[0]!.tensors.find((t) => t.type === TensorType.INT8)!.quantization!;
    expect(q.scale.length).toBe(32);
    expect(q.zeroPoint.every((z) => z === 0)).toBe(true);
    const v = grid([1, 64], 9);
    const r8 = createTfliteRunner(readTflite(writeTflite(int8)));
    expectAllClose(r8.predict([v])[0]!, predict(dense, v), { rtol: 5e-2, floor: 1 });
    r8.dispose();
  });

  it("names a layer that has no lowering", () => {
    const inputs = engine.Input({ shape: [4, 3] });
    const out = new engine.LayerNormalization().apply(inputs);
    const model = new engine.Model({ inputs, outputs: out, name: "norm" });
    expect(() => lowerToTflite(model)).toThrow(
      /cannot convert layer "layer_normalization\w*" \(LayerNormalization\) of model "norm" to TFLite: Kerastore has no TFLite lowering for LayerNormalization layers/,
    );
  });
});

describe("createTfliteRunner", () => {
  it("runs Python's converter's CNN (CONV_2D, MUL/ADD batch norm, pools, DEPTHWISE_CONV_2D, MEAN, softmax) as TensorFlow Lite ran it", () => {
    const model = readTflite(readFixture("tflite", "cnn", "model.tflite"), { path: "cnn/model.tflite" });
    const codes = new Set(model.operatorCodes.map((c) => c.builtinCode));
    expect(codes.has(BuiltinOperator.CONV_2D) && codes.has(BuiltinOperator.DEPTHWISE_CONV_2D)).toBe(true);
    const runner = createTfliteRunner(model);
    expectAllClose(
      runner.predict([readFixtureNpy("tflite", "cnn", "input0.npy")])[0]!,
      readFixtureNpy("tflite", "cnn", "output0.npy"),
      { rtol: 1e-6, floor: 1 },
    );
    runner.dispose();
  });

  it("runs the file Python's converter wrote as TensorFlow Lite ran it", async () => {
    const runner = createTfliteRunner(readTflite(readFixture("tflite", "dense", "model.tflite")));
    expect(runner.inputs).toEqual([{ name: "x", shape: [2, 5], type: "FLOAT32" }]);
    expectAllClose(
      runner.predict([readFixtureNpy("tflite", "dense", "input0.npy")])[0]!,
      readFixtureNpy("tflite", "dense", "output0.npy"),
      { rtol: 1e-6, floor: 1 },
    );
    expect(() => runner.predict([grid([3, 5], 1)])).toThrow(
      /input 0 \("x"\) has shape \[3, 5\], the model takes \[2, 5\]/,
    );
    runner.dispose();
  });
});
