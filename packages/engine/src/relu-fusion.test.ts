import * as tf from "@tensorflow/tfjs-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
// Through the engine's entry: it installs the built-in layer classes.
import { type Spec, buildGraph } from "./graph-build.test-util.js";
import {
  Input,
  type Layer,
  type Model,
  Sequential,
  deserializeLayer,
  initBackend,
  registerGradients,
} from "./index.js";
import { trainingReluFusions } from "./relu-fusion.js";

// Training-time fusion of a ReLU into the BatchNormalization or Add before it (relu-fusion.ts):
// which pairs fuse, and that a training step's gradients, outputs and moving statistics equal
// those of the layers run one by one with tfjs's ReLU (KERASTORE_TRAIN_RELU=0) within 1e-5.

const build = (input: number[], specs: Record<string, Spec>): Model => buildGraph(input, specs).model;

// 8 x 24 x 24 = 4608 values a channel: BatchNormalization's fused kernels run (over 4096).
const SPECS: Record<string, Spec> = {
  c1: ["Conv2D", { filters: 8, kernel_size: 3, padding: "same" }],
  b1: ["BatchNormalization", {}],
  r1: ["Activation", { activation: "relu" }],
  c2: ["Conv2D", { filters: 8, kernel_size: 3, padding: "same", use_bias: false }],
  b2: ["BatchNormalization", { center: false }],
  sum: ["Add", {}, ["b2", "r1"]],
  r2: ["ReLU", {}],
  // 6 channels: the JavaScript loops; beta only.
  c3: ["Conv2D", { filters: 6, kernel_size: 1 }],
  b3: ["BatchNormalization", { scale: false }],
  r3: ["ReLU", {}],
  // b4 feeds two layers: not fused; r5 caps at 6: not a plain ReLU.
  c4: ["Conv2D", { filters: 4, kernel_size: 1 }],
  b4: ["BatchNormalization", {}],
  r4: ["Activation", { activation: "relu" }, ["b4"]],
  skip: ["Conv2D", { filters: 4, kernel_size: 1 }, ["b4"]],
  sum2: ["Add", {}, ["r4", "skip"]],
  r5: ["ReLU", { max_value: 6 }],
  pool: ["GlobalAveragePooling2D", {}],
  out: ["Dense", { units: 3 }],
};

interface Step {
  loss: number;
  grads: Float32Array[];
  moving: Float32Array[];
}

/** Gradients of a mean-squared loss of one training-mode call, and the moving statistics after it. */
function step(model: Model, x: tf.Tensor, y: tf.Tensor): Step {
  const vars = model.trainableWeights.map((w) => w.value);
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(x, { training: true }) as tf.Tensor;
    return tf.mean(tf.square(tf.sub(out, y))) as tf.Scalar;
  }, vars);
  const result = {
    loss: value.dataSync()[0]!,
    grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array),
    moving: model.nonTrainableWeights.map((w) => w.value.dataSync() as Float32Array),
  };
  tf.dispose([value, ...Object.values(grads)]);
  return result;
}

/** The largest difference over the largest magnitude, over every value of a and b. */
function relDiff(a: Float32Array[], b: Float32Array[]): number {
  let diff = 0;
  let scale = 0;
  for (const [i, av] of a.entries())
    for (const [j, v] of av.entries()) {
      diff = Math.max(diff, Math.abs(v - b[i]![j]!));
      scale = Math.max(scale, Math.abs(v));
    }
  return diff / scale;
}

describe("a ReLU fused into the BatchNormalization or Add before it, while training", () => {
  beforeAll(async () => {
    await initBackend({ backend: "wasm" });
    await registerGradients();
  });
  afterEach(() => {
    delete process.env.KERASTORE_TRAIN_RELU;
  });

  it("fuses the pairs where the first layer's output feeds only a plain ReLU", () => {
    const model = build([24, 24, 3], SPECS);
    const plan = trainingReluFusions((model as unknown as { graph: never }).graph, model.outputs);
    expect([...plan.heads].map(([a, b]) => `${a.layer.name}->${b.layer.name}`)).toEqual([
      "b1->r1",
      "sum->r2",
      "b3->r3",
    ]);
    model.dispose();
  });

  /** One training-mode step of a fresh model from `make` (the same weights each time), fused or not. */
  const run = (make: () => Model, x: tf.Tensor, y: tf.Tensor, on: boolean): Step => {
    process.env.KERASTORE_TRAIN_RELU = on ? "1" : "0";
    const model = make();
    model.setWeights(
      model.weights.map((w, i) => {
        // BatchNormalization's moving variance must stay positive; the rest is any value.
        const v = tf.randomNormal(w.value.shape, 0, 0.5, "float32", 10 + i);
        const host = (w.name.endsWith("variance") ? tf.add(tf.abs(v), 0.5) : v).dataSync() as Float32Array;
        return host;
      }),
    );
    const s = step(model, x, y);
    model.dispose();
    return s;
  };

  const expectSame = (fused: Step, plain: Step) => {
    expect(Math.abs(fused.loss - plain.loss) / Math.abs(plain.loss)).toBeLessThan(1e-5);
    expect(relDiff(fused.grads, plain.grads)).toBeLessThan(1e-5);
    expect(relDiff(fused.moving, plain.moving)).toBeLessThan(1e-5);
    expect(fused.grads.every((g) => g.some((v) => v !== 0))).toBe(true);
  };

  it("gives the gradients, loss and moving statistics of the layers run one by one (functional)", async () => {
    const x = tf.randomNormal([8, 24, 24, 3], 0, 1, "float32", 3);
    const y = tf.randomNormal([8, 3], 0, 1, "float32", 4);
    const make = () => build([24, 24, 3], SPECS);
    expectSame(run(make, x, y, true), run(make, x, y, false));
    // The fused run: no tfjs ReLU gradient (Step), the fused kernels instead.
    process.env.KERASTORE_TRAIN_RELU = "1";
    const model = build([24, 24, 3], SPECS);
    const info = await tf.profile(() => {
      tf.tidy(() => {
        step(model, x, y);
      });
    });
    const names = new Set(info.kernels.map((k) => k.name));
    expect(names.has("Step")).toBe(false);
    expect(names.has("KerastoreAddRelu")).toBe(true);
    expect(names.has("KerastoreReluGrad")).toBe(true);
    // r1 and r3 ran inside their batch norms, r2 inside the Add: only r4 and r5 (capped) ran on their own.
    expect(info.kernels.filter((k) => k.name === "KerastoreRelu").length).toBe(2);
    model.dispose();
    tf.dispose([x, y]);
  });

  it("fuses BatchNormalization -> ReLU in a Sequential model, with the same gradients", () => {
    const x = tf.randomNormal([8, 24, 24, 3], 0, 1, "float32", 5);
    const y = tf.randomNormal([8, 2], 0, 1, "float32", 6);
    const L = (cls: string, config: Record<string, unknown> = {}) =>
      deserializeLayer({ class_name: cls, config } as never, {}) as Layer;
    const make = () =>
      new Sequential([
        Input({ shape: [24, 24, 3] }),
        L("Conv2D", { filters: 4, kernel_size: 3 }),
        L("BatchNormalization"),
        L("Activation", { activation: "relu" }),
        L("Flatten"),
        L("Dense", { units: 2 }),
      ]);
    expectSame(run(make, x, y, true), run(make, x, y, false));
    tf.dispose([x, y]);
  });
});
