import * as tf from "@tensorflow/tfjs-core";
import { readFixtureJson } from "@kerastore/fixtures";
import { dense } from "../ops/dense.js";
import { embeddingLookup } from "../ops/embedding-lookup.js";
import { attachLogits } from "./losses/logits.js";
import type { TrainTarget, TrainableVariable } from "./trainable.js";

/** A tensor as gen_training.py writes it. */
export interface FixtureTensor {
  readonly dtype: string;
  readonly shape: number[];
  readonly values: number[];
}

/** data/training/models/<name>.json. */
export interface FixtureModel {
  readonly weights: { path: string; shape: number[]; values: number[] }[];
  readonly trainable_paths: string[];
  readonly x: FixtureTensor[];
  readonly y: FixtureTensor;
  readonly sample_weight: number[];
  readonly labels: number[];
}

/** Reads a training fixture model. */
export function readFixtureModel(name: "mlp" | "two_input"): FixtureModel {
  return readFixtureJson(`training/models/${name}.json`) as unknown as FixtureModel;
}

/** A tfjs tensor of a fixture tensor. */
export function toTensor(t: FixtureTensor): tf.Tensor {
  return tf.tensor(t.values, t.shape, t.dtype.startsWith("int") ? "int32" : "float32");
}

let counter = 0;

/**
 * The fixture models rebuilt with the training ops, on fresh variables holding Keras's initial
 * weights: `mlp` (6 -> 16 relu -> 8 tanh -> 3) and `two_input` (6 -> 8 relu, 4 -> 8 sigmoid,
 * concat -> 3 softmax).
 */
export function buildFixtureModel(
  name: "mlp" | "two_input",
  fixture = readFixtureModel(name),
): TrainTarget & { variables: TrainableVariable[] } {
  const variables: TrainableVariable[] = fixture.weights.map((w) => ({
    path: w.path,
    value: tf.variable(tf.tensor(w.values, w.shape, "float32"), true, `fixture_${counter++}_${w.path}`),
  }));
  const v = (i: number) => variables[i]!.value;
  if (name === "mlp") {
    return {
      variables,
      trainableVariables: variables,
      forward: ([x]) =>
        tf.tidy(() => {
          const h1 = dense(x as tf.Tensor2D, v(0) as tf.Tensor2D, v(1) as tf.Tensor1D, "relu", { inputGrad: false });
          const h2 = dense(h1, v(2) as tf.Tensor2D, v(3) as tf.Tensor1D, "tanh");
          return [dense(h2, v(4) as tf.Tensor2D, v(5) as tf.Tensor1D, "linear")];
        }),
    };
  }
  return {
    variables,
    trainableVariables: variables,
    forward: ([a, b]) => {
      const ha = dense(a as tf.Tensor2D, v(0) as tf.Tensor2D, v(1) as tf.Tensor1D, "relu", { inputGrad: false });
      const hb = dense(b as tf.Tensor2D, v(2) as tf.Tensor2D, v(3) as tf.Tensor1D, "sigmoid", { inputGrad: false });
      const h = tf.concat([ha, hb], -1) as tf.Tensor2D;
      const logits = dense(h, v(4) as tf.Tensor2D, v(5) as tf.Tensor1D, "linear");
      return [attachLogits(tf.softmax(logits), logits)];
    },
  };
}

/**
 * The `embedding` fixture model (Embedding(10, 3) -> GlobalAveragePooling1D -> Dense(3)) on
 * the training ops: the lookup keeps per-occurrence gradients, as TensorFlow's IndexedSlices.
 */
export function buildEmbeddingModel(fixture: FixtureModel): TrainTarget & { variables: TrainableVariable[] } {
  const variables: TrainableVariable[] = fixture.weights.map((w) => ({
    path: w.path,
    value: tf.variable(tf.tensor(w.values, w.shape, "float32"), true, `fixture_${counter++}_${w.path}`),
  }));
  const [table, kernel, bias] = variables.map((v) => v.value) as [tf.Variable, tf.Variable, tf.Variable];
  return {
    variables,
    trainableVariables: variables,
    forward: ([ids]) => [
      dense(
        tf.mean(embeddingLookup(table, ids!), 1) as tf.Tensor2D,
        kernel as tf.Tensor2D,
        bias as tf.Tensor1D,
        "linear",
      ),
    ],
  };
}
