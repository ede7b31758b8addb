import { cannot } from "@kerastore/core";
import * as tf from "@tensorflow/tfjs-core";
import { EngineError } from "./errors.js";
import type { Layer } from "./layer.js";
import type { KerasTensor } from "./symbolic.js";

/** A shape as Python prints a tuple: `(None, 8)`, `(5,)`. */
export function pythonShape(shape: readonly (number | null)[]): string {
  const dims = shape.map((d) => (d === null || d < 0 ? "None" : String(d)));
  return dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(", ")})`;
}

/** What a model needs to have its inputs checked. */
interface Checked {
  readonly name: string;
  readonly inputs: readonly KerasTensor[];
  readonly layers: readonly Layer[];
  readonly className: string;
}

type Data = { readonly shape: readonly number[] } | readonly { readonly shape: readonly number[] }[];

/**
 * Checks data against a model's inputs before it runs, as Keras's input specs do, with Keras's
 * message (`Input 0 of layer "dense" is incompatible with the layer: expected shape=(None, 8),
 * found shape=(5, 7)`). A model whose inputs are not known yet (an unbuilt Sequential) passes.
 */
export function checkInputs(model: Checked, data: Data, verb = "run"): void {
  const expected = model.inputs;
  if (expected.length === 0) return;
  const given = Array.isArray(data)
    ? (data as readonly { readonly shape: readonly number[] }[])
    : [data as { readonly shape: readonly number[] }];
  const fail = (reason: string): never => {
    throw new EngineError("invalid-shape", cannot(verb, `model "${model.name}"`, reason));
  };
  if (given.length !== expected.length) {
    fail(`Layer "${model.name}" expects ${expected.length} input(s), but it received ${given.length} input tensors`);
  }
  // Keras names the layer that owns the input spec: a Sequential's first layer, else the model.
  const owner =
    model.className === "Sequential"
      ? (model.layers.find((l) => l.className !== "InputLayer")?.name ?? model.name)
      : model.name;
  for (const [i, spec] of expected.entries()) {
    const shape = given[i]!.shape;
    const want = spec.shape;
    if (compatible(want, shape)) continue;
    fail(
      `Input ${i} of layer "${owner}" is incompatible with the layer: expected shape=${pythonShape(want)}, found shape=${pythonShape(shape)}`,
    );
  }
}

function compatible(want: readonly (number | null)[], have: readonly number[]): boolean {
  if (have.length !== want.length) return false;
  return want.every((d, j) => d === null || d < 0 || d === have[j]);
}

/**
 * The shapes of model data (tensors, host tensors, or lists of them), for {@link checkInputs}.
 * Anything else (plain numbers, nested arrays) fails here, saying what to pass instead.
 */
export function shapesOf(x: unknown, verb = "run"): Data {
  const one = (v: unknown, i: number) => {
    if (v instanceof tf.Tensor) return { shape: v.shape };
    const shape = (v as { shape?: unknown } | null)?.shape;
    if (typeof v === "object" && v !== null && Array.isArray(shape) && "data" in v) return { shape: shape as number[] };
    const got = Array.isArray(v) ? "an array" : v === null ? "null" : typeof v;
    throw new EngineError(
      "invalid-argument",
      cannot(
        verb,
        "a model",
        `input ${i} is ${got}, not a tensor`,
        'pass a HostTensor ({ dtype, shape, data }: hostTensor("float32", [n, ...], data)) or a tf.Tensor',
      ),
    );
  };
  return Array.isArray(x) ? x.map(one) : one(x, 0);
}
