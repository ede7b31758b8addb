import { type HostTensor, hostTensor } from "@kerastore/core";
import * as engine from "@kerastore/engine";
import { type SavableModel, keras } from "../node.js";

/** Deterministic values in [-1, 1) (a linear congruential generator). */
export function grid(shape: number[], seed: number, positive = false): HostTensor {
  let s = seed;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const u = (s / 2 ** 31) * 2 - 1;
    return positive ? 0.5 + Math.abs(u) : u;
  });
  return hostTensor("float32", shape, data);
}

/** Sets every weight to deterministic values (variances positive), so nothing is left at its init. */
export function fillWeights(model: SavableModel, seed: number): SavableModel {
  for (const [i, v] of model.weights.entries())
    v.assign(grid([...v.shape], seed + i, v.name.includes("variance")), v.path);
  return model;
}

/** Dense + activations + Dropout: the guide's kind of MLP. */
export function mlp(): SavableModel {
  const inputs = keras.Input({ shape: [6], name: "features" });
  let x = new keras.layers.Dense({ units: 8, activation: "relu" }).apply(inputs);
  x = new keras.layers.Dropout({ rate: 0.5 }).apply(x);
  x = new keras.layers.Dense({ units: 8, activation: "gelu" }).apply(x);
  x = new keras.layers.Dense({ units: 8, activation: "swish" }).apply(x);
  x = new keras.layers.Dense({ units: 8, activation: "elu" }).apply(x);
  x = new keras.layers.Activation({ activation: "tanh" }).apply(x);
  x = new keras.layers.Dense({ units: 3, activation: "softmax" }).apply(x);
  return fillWeights(new keras.Model({ inputs, outputs: x, name: "mlp" }), 1);
}

/** Conv2D (same and strided valid), BatchNormalization, pooling, Flatten, Dense. */
export function cnn(): SavableModel {
  const inputs = keras.Input({ shape: [8, 8, 2], name: "image" });
  let x = new engine.Conv2D({ filters: 4, kernelSize: 3, padding: "same", activation: "relu" }).apply(inputs);
  x = new engine.BatchNormalization().apply(x);
  x = new engine.MaxPooling2D({ poolSize: 2 }).apply(x);
  x = new engine.Conv2D({ filters: 5, kernelSize: 2, strides: 1, dilationRate: 1, activation: "selu" }).apply(x);
  const a = new engine.GlobalAveragePooling2D().apply(x);
  const m = new engine.GlobalMaxPooling2D().apply(x);
  const p = new keras.layers.Flatten().apply(new engine.AveragePooling2D({ poolSize: 3, strides: 1 }).apply(x));
  const c = new keras.layers.Concatenate().apply([a, m, p]);
  const out = new keras.layers.Dense({ units: 2 }).apply(c);
  return fillWeights(new keras.Model({ inputs, outputs: out, name: "cnn" }), 11);
}

/** Two inputs (one of token ids), two outputs, merges, Embedding, LayerNormalization, Reshape. */
export function multiIO(): SavableModel {
  const left = keras.Input({ shape: [4], name: "left" });
  const tokens = keras.Input({ shape: [3], name: "tokens", dtype: "int32" });
  const e = new engine.Embedding({ inputDim: 10, outputDim: 4 }).apply(tokens);
  const pooled = new keras.layers.Flatten().apply(new engine.LayerNormalization().apply(e));
  const l = new keras.layers.Dense({ units: 12, activation: "sigmoid" }).apply(left);
  const sum = new keras.layers.Add().apply([l, pooled]);
  const diff = new keras.layers.Subtract().apply([l, pooled]);
  const prod = new keras.layers.Multiply().apply([sum, diff]);
  const avg = new keras.layers.Average().apply([sum, diff, prod]);
  const hi = new keras.layers.Maximum().apply([sum, diff]);
  const lo = new keras.layers.Minimum().apply([sum, diff]);
  const first = new keras.layers.Dense({ units: 2, name: "first" }).apply(
    new keras.layers.Concatenate().apply([avg, hi, lo]),
  );
  const reshaped = new keras.layers.Reshape({ targetShape: [3, 4] }).apply(prod);
  const second = new keras.layers.Dense({ units: 5, activation: "softplus", name: "second" }).apply(reshaped);
  return fillWeights(new keras.Model({ inputs: [left, tokens], outputs: [first, second], name: "multi_io" }), 21);
}

/** A Sequential block and a functional block inside a functional model. */
export function nested(): SavableModel {
  const block = new keras.Sequential({
    name: "block",
    layers: [
      keras.Input({ shape: [5] }),
      new keras.layers.Dense({ units: 6, activation: "relu6" }),
      new keras.layers.Dense({ units: 4 }),
    ],
  });
  const innerIn = keras.Input({ shape: [4] });
  const inner = new keras.Model({
    inputs: innerIn,
    outputs: new keras.layers.Dense({ units: 3, activation: "leaky_relu" }).apply(innerIn),
    name: "inner",
  });
  const inputs = keras.Input({ shape: [5], name: "x" });
  const out = inner.apply(block.apply(inputs));
  return fillWeights(new keras.Model({ inputs, outputs: out, name: "outer" }), 31);
}

/** Conv1D (causal, dilated, strided), Permute, Rescaling, ZeroPadding2D, depthwise and separable convolutions. */
export function zoo(): SavableModel {
  const seq = keras.Input({ shape: [12, 3], name: "sequence" });
  let s = new engine.Conv1D({
    filters: 4,
    kernelSize: 3,
    padding: "causal",
    dilationRate: 2,
    activation: "relu",
  }).apply(seq);
  s = new engine.Conv1D({ filters: 3, kernelSize: 2, strides: 2, padding: "same" }).apply(s);
  s = new keras.layers.Flatten().apply(new engine.Permute({ dims: [2, 1] }).apply(s));
  const image = keras.Input({ shape: [7, 7, 3], name: "pixels" });
  let i = new keras.layers.Rescaling({ scale: 1 / 255, offset: -0.5 }).apply(image);
  i = new engine.ZeroPadding2D({
    padding: [
      [1, 0],
      [2, 1],
    ],
  }).apply(i);
  i = new engine.DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, strides: 2 }).apply(i);
  i = new engine.SeparableConv2D({ filters: 4, kernelSize: 2, padding: "same", activation: "tanh" }).apply(i);
  i = new engine.GlobalAveragePooling2D().apply(new keras.layers.Identity().apply(i));
  const out = new keras.layers.Dense({ units: 3 }).apply(new keras.layers.Concatenate().apply([s, i]));
  return fillWeights(new keras.Model({ inputs: [seq, image], outputs: out, name: "zoo" }), 41);
}

/** Padding, cropping, up-sampling, transposed convolutions, 1D pooling and RepeatVector. */
export function reshaping(): SavableModel {
  const seq = keras.Input({ shape: [10, 3], name: "seq" });
  let s = new engine.ZeroPadding1D({ padding: [1, 2] }).apply(seq);
  s = new engine.Cropping1D({ cropping: [2, 1] }).apply(s);
  s = new engine.MaxPooling1D({ poolSize: 2 }).apply(s);
  s = new engine.UpSampling1D({ size: 3 }).apply(s);
  s = new engine.AveragePooling1D({ poolSize: 2, strides: 1, padding: "same" }).apply(s);
  const pooled = new keras.layers.Concatenate().apply([
    new engine.GlobalAveragePooling1D().apply(s),
    new engine.GlobalMaxPooling1D().apply(s),
  ]);
  const repeated = new keras.layers.Flatten().apply(new engine.RepeatVector({ n: 2 }).apply(pooled));
  const img = keras.Input({ shape: [5, 6, 2], name: "img" });
  let i = new engine.UpSampling2D({ size: [2, 3] }).apply(img);
  i = new engine.Cropping2D({
    cropping: [
      [1, 2],
      [3, 0],
    ],
  }).apply(i);
  i = new engine.Conv2DTranspose({ filters: 3, kernelSize: 3, strides: 2, activation: "relu" }).apply(i);
  i = new engine.Conv2DTranspose({ filters: 2, kernelSize: 2, strides: 1, padding: "same" }).apply(i);
  const conv = new engine.Conv2D({ filters: 2, kernelSize: 2, strides: 3 }).apply(i);
  const out = new keras.layers.Dense({ units: 2 }).apply(
    new keras.layers.Concatenate().apply([repeated, new keras.layers.Flatten().apply(conv)]),
  );
  return fillWeights(new keras.Model({ inputs: [seq, img], outputs: out, name: "reshaping" }), 51);
}

/** SimpleRNN, LSTM and GRU (both reset_after settings, backwards, sequences or the last state), Bidirectional, TimeDistributed. */
export function recurrentModel(): SavableModel {
  const inputs = keras.Input({ shape: [5, 3], name: "steps" });
  let x = new engine.SimpleRNN({ units: 4, returnSequences: true }).apply(inputs);
  x = new engine.LSTM({ units: 3, returnSequences: true, goBackwards: true }).apply(x);
  x = new engine.GRU({ units: 4, returnSequences: true }).apply(x);
  const last = new engine.GRU({ units: 2, resetAfter: false, activation: "relu" }).apply(x);
  const lstm = new engine.LSTM({ units: 2, useBias: false }).apply(x);
  const both = new engine.Bidirectional({ layer: new engine.LSTM({ units: 2, returnSequences: true }) }).apply(inputs);
  const summed = new engine.Bidirectional({ layer: new engine.GRU({ units: 3 }), mergeMode: "ave" }).apply(both);
  const perStep = new keras.layers.Flatten().apply(
    new engine.TimeDistributed({ layer: new keras.layers.Dense({ units: 2, activation: "relu" }) }).apply(x),
  );
  const out = new keras.layers.Dense({ units: 2 }).apply(
    new keras.layers.Concatenate().apply([last, lstm, summed, perStep]),
  );
  return fillWeights(new keras.Model({ inputs, outputs: out, name: "recurrent" }), 61);
}

/** Layer breadth: LocallyConnected1D / 2D (implementations 1, 2, 3, channels first), advanced activations, UnitNormalization, LayerScale. */
export function breadth(): SavableModel {
  const img = keras.Input({ shape: [6, 5, 2], name: "img" });
  let a = new engine.LocallyConnected2D({ filters: 3, kernelSize: [2, 2], strides: [1, 2], activation: "tanh" }).apply(
    img,
  );
  a = new engine.ThresholdedReLU({ theta: 0.1 } as never).apply(new engine.PReLU({ sharedAxes: [1, 2] }).apply(a));
  const b = new engine.LocallyConnected2D({
    filters: 2,
    kernelSize: [3, 2],
    implementation: 3,
    dataFormat: "channels_first",
  }).apply(img);
  const c = new engine.LocallyConnected2D({ filters: 2, kernelSize: [2, 2], implementation: 2, useBias: false }).apply(
    img,
  );
  const seq = keras.Input({ shape: [7, 3], name: "seq" });
  let d = new engine.LocallyConnected1D({ filters: 4, kernelSize: 3, strides: 2 }).apply(seq);
  d = new engine.UnitNormalization().apply(new engine.ELU({ alpha: 0.5 } as never).apply(d));
  d = new engine.ActivityRegularization().apply(new engine.LayerScale({ initValues: 0.5, projectionDim: 4 }).apply(d));
  const flat = [a, b, c, d].map((t) => new keras.layers.Flatten().apply(t));
  const out = new keras.layers.Dense({ units: 2 }).apply(new keras.layers.Concatenate().apply(flat));
  return fillWeights(new keras.Model({ inputs: [img, seq], outputs: out, name: "breadth" }), 71);
}

/** The models the SavedModel writer is checked on, with inputs for each. */
export function writerCases(): { name: string; model: () => SavableModel; inputs: () => Record<string, HostTensor> }[] {
  return [
    { name: "MLP", model: mlp, inputs: () => ({ features: grid([5, 6], 101) }) },
    { name: "CNN", model: cnn, inputs: () => ({ image: grid([3, 8, 8, 2], 102) }) },
    {
      name: "two-input two-output functional",
      model: multiIO,
      inputs: () => ({
        left: grid([4, 4], 103),
        tokens: hostTensor("int32", [4, 3], Int32Array.from([0, 3, 9, 1, 1, 2, 8, 7, 5, 4, 6, 0])),
      }),
    },
    { name: "nested Sequential and functional", model: nested, inputs: () => ({ x: grid([4, 5], 104) }) },
    {
      name: "Conv1D, Permute, Rescaling, ZeroPadding2D, depthwise and separable convolutions",
      model: zoo,
      inputs: () => ({
        sequence: grid([2, 12, 3], 105),
        pixels: hostTensor(
          "float32",
          [2, 7, 7, 3],
          new Float32Array(294).map((_, k) => (k * 37) % 256),
        ),
      }),
    },
    {
      name: "LocallyConnected1D / 2D, PReLU, ELU, ThresholdedReLU, UnitNormalization, LayerScale",
      model: breadth,
      inputs: () => ({ img: grid([2, 6, 5, 2], 109), seq: grid([2, 7, 3], 110) }),
    },
    {
      name: "SimpleRNN, LSTM, GRU and Bidirectional unrolled",
      model: recurrentModel,
      inputs: () => ({ steps: grid([3, 5, 3], 108) }),
    },
    {
      name: "padding, cropping, up-sampling, Conv2DTranspose, 1D pooling, RepeatVector",
      model: reshaping,
      inputs: () => ({ seq: grid([2, 10, 3], 106), img: grid([2, 5, 6, 2], 107) }),
    },
  ];
}
