import type { HostTensor } from "@kerastore/core";
import * as engine from "@kerastore/engine";

// Models that use every lowering, for the unit tests and for TensorFlow Lite's own interpreter
// (packages/interop/test/tflite.test.ts).

/** Deterministic values in [-1, 1) (or [0.5, 1.5) for variances). */
export function grid(shape: number[], seed: number, positive = false): HostTensor {
  let s = seed;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const u = (s / 2 ** 31) * 2 - 1;
    return positive ? 0.5 + Math.abs(u) : u;
  });
  return { dtype: "float32", shape, data };
}

/** Sets every weight to deterministic values (variances positive). */
export function fill(model: engine.Model, seed: number): engine.Model {
  for (const [i, v] of model.weights.entries())
    v.assign(grid([...v.shape], seed + i, v.name.includes("variance")), v.path);
  return model;
}

/** Conv2D + BatchNormalization (folded), depthwise, separable and transposed convolutions, pooling, Dropout. */
export function cnn(): engine.Model {
  const inputs = engine.Input({ shape: [8, 8, 2], name: "image" });
  let x = new engine.Conv2D({ filters: 4, kernelSize: 3, padding: "same" }).apply(inputs);
  x = new engine.BatchNormalization().apply(x);
  x = new engine.Activation({ activation: "relu" }).apply(x);
  x = new engine.MaxPooling2D({ poolSize: 2 }).apply(x);
  x = new engine.DepthwiseConv2D({ kernelSize: 2, depthMultiplier: 2, activation: "relu6" }).apply(x);
  x = new engine.SeparableConv2D({ filters: 3, kernelSize: 2, padding: "same", activation: "tanh" }).apply(x);
  const t = new engine.Conv2DTranspose({ filters: 2, kernelSize: 2, strides: 2 }).apply(x);
  const a = new engine.GlobalAveragePooling2D().apply(x);
  const f = new engine.Flatten().apply(new engine.AveragePooling2D({ poolSize: 2 }).apply(t));
  const c = new engine.Concatenate().apply([a, f]);
  const d = new engine.Dropout({ rate: 0.5 }).apply(c);
  const out = new engine.Dense({ units: 3, activation: "softmax" }).apply(d);
  return fill(new engine.Model({ inputs, outputs: out, name: "cnn" }), 11);
}

/** SimpleRNN, LSTM (backwards; hard_sigmoid), GRU (both reset_after settings), causal dilated Conv1D. */
export function rnn(): engine.Model {
  const inputs = engine.Input({ shape: [5, 3], name: "steps" });
  let x = new engine.SimpleRNN({ units: 4, returnSequences: true }).apply(inputs);
  x = new engine.LSTM({ units: 3, returnSequences: true, goBackwards: true }).apply(x);
  x = new engine.GRU({ units: 4, returnSequences: true }).apply(x);
  const last = new engine.GRU({ units: 2, resetAfter: false, activation: "relu" }).apply(x);
  const lstm = new engine.LSTM({ units: 2, useBias: false, recurrentActivation: "hard_sigmoid" }).apply(x);
  const conv = new engine.GlobalMaxPooling1D().apply(
    new engine.Conv1D({ filters: 2, kernelSize: 3, padding: "causal", dilationRate: 2 }).apply(x),
  );
  const out = new engine.Dense({ units: 2 }).apply(new engine.Concatenate().apply([last, lstm, conv]));
  return fill(new engine.Model({ inputs, outputs: out, name: "recurrent" }), 61);
}

/** Dense (relu fused; folded BatchNormalization; gelu; swish; sigmoid on rank 3), merges, Reshape. */
export function mlp(): engine.Model {
  const inputs = engine.Input({ shape: [6], name: "features" });
  let x = new engine.Dense({ units: 8, activation: "relu" }).apply(inputs);
  x = new engine.BatchNormalization().apply(new engine.Dense({ units: 8 }).apply(x));
  const y = new engine.Dense({ units: 8, activation: "gelu" }).apply(x);
  const z = new engine.Dense({ units: 8, activation: "swish" }).apply(
    new engine.Activation({ activation: "softplus" }).apply(
      new engine.Dense({ units: 8, activation: "selu" }).apply(x),
    ),
  );
  const s = new engine.Subtract().apply([new engine.Add().apply([y, z]), new engine.Multiply().apply([y, z])]);
  const r = new engine.Reshape({ targetShape: [2, 4] }).apply(s);
  const out = new engine.Dense({ units: 3, activation: "sigmoid" }).apply(r);
  return fill(new engine.Model({ inputs, outputs: out, name: "mlp" }), 1);
}

/** Convolution and Dense weights of 1024+ elements, which dynamic-range quantization stores as int8. */
export function hybrid(): engine.Model {
  const inputs = engine.Input({ shape: [8, 8, 3], name: "pixels" });
  let x = new engine.Conv2D({ filters: 16, kernelSize: 3, activation: "relu" }).apply(inputs);
  x = new engine.Conv2D({ filters: 16, kernelSize: 3, activation: "relu" }).apply(x);
  x = new engine.Dense({ units: 32, activation: "relu" }).apply(new engine.Flatten().apply(x));
  const out = new engine.Dense({ units: 10, activation: "softmax" }).apply(x);
  return fill(new engine.Model({ inputs, outputs: out, name: "hybrid" }), 71);
}
