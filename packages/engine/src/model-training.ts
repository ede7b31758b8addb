import * as tf from "@tensorflow/tfjs-core";
import { type HostTensor, cannot, hostTensor } from "@kerastore/core";
import { requireBackend } from "./backend-check.js";
import { EngineError } from "./errors.js";
import type { TensorOrList } from "./training/data.js";
import { attachLogits, attachedLogits } from "./training/losses/logits.js";
import type { CallableModel } from "./training/model-target.js";
import type { TrainTarget } from "./training/trainable.js";

/** What the model methods take as data: one input (or target) or a list, as HostTensors or tensors. */
export type ModelData = HostTensor | tf.Tensor | readonly (HostTensor | tf.Tensor)[];

/** A HostTensor as a tfjs tensor (integers as int32, bool as bool, the rest as float32). */
export function toTensor(h: HostTensor): tf.Tensor {
  requireBackend("a tensor from the data given to the model");
  if (
    h.dtype === "int32" ||
    h.dtype === "int64" ||
    h.dtype === "uint8" ||
    h.dtype === "int8" ||
    h.dtype === "int16" ||
    h.dtype === "uint16"
  ) {
    return tf.tensor(
      Int32Array.from(h.data as ArrayLike<number | bigint>, (v) => Number(v)),
      [...h.shape],
      "int32",
    );
  }
  if (h.dtype === "bool") return tf.tensor(h.data as Uint8Array, [...h.shape], "bool");
  if (h.dtype === "string")
    throw new EngineError("invalid-argument", cannot("use", "a string tensor", "models take numbers"));
  const data = h.dtype === "float32" ? (h.data as Float32Array) : Float32Array.from(h.data as ArrayLike<number>);
  return tf.tensor(data, [...h.shape], "float32");
}

/**
 * Runs `fn` on the data as tensors (HostTensors converted, given tensors passed as they are)
 * and frees the converted ones afterwards, also when `fn` throws.
 */
export async function withTensors<T>(
  data: readonly (ModelData | undefined)[],
  fn: (...tensors: (TensorOrList | undefined)[]) => Promise<T> | T,
): Promise<T> {
  const owned: tf.Tensor[] = [];
  const one = (v: HostTensor | tf.Tensor): tf.Tensor => {
    if (v instanceof tf.Tensor) return v;
    const t = toTensor(v);
    owned.push(t);
    return t;
  };
  try {
    const converted = data.map((d) =>
      d === undefined
        ? undefined
        : Array.isArray(d)
          ? (d as (HostTensor | tf.Tensor)[]).map(one)
          : one(d as HostTensor | tf.Tensor),
    );
    return await fn(...converted);
  } finally {
    tf.dispose(owned);
  }
}

/** A tensor's values on the host (float32, or int32 for integer tensors). */
export function toHost(t: tf.Tensor): HostTensor {
  return t.dtype === "int32"
    ? hostTensor("int32", t.shape, Int32Array.from(t.dataSync()))
    : hostTensor("float32", t.shape, Float32Array.from(t.dataSync()));
}

/**
 * The TrainTarget of a model: forward is `model.call` inside a tidy, which keeps the outputs and
 * the logits a final softmax or sigmoid recorded (the loss reads them) and frees the rest.
 */
export function trainTargetOf(
  model: CallableModel & { readonly outputNames?: readonly string[] | undefined },
  names: readonly string[] | undefined,
): TrainTarget {
  return {
    get trainableVariables() {
      return model.trainableWeights;
    },
    forward(inputs, training) {
      let logits: (tf.Tensor | undefined)[] = [];
      let count = 0;
      const kept = tf.tidy(() => {
        const out = model.call(inputs.length === 1 ? inputs[0]! : [...inputs], { training });
        const outs = Array.isArray(out) ? out : [out];
        count = outs.length;
        logits = outs.map((o) => attachedLogits(o));
        return [...outs, ...logits.filter((l): l is tf.Tensor => l !== undefined)];
      });
      const outs = kept.slice(0, count);
      outs.forEach((o, i) => {
        const l = logits[i];
        if (l !== undefined) attachLogits(o, l);
      });
      return outs;
    },
    extraLosses: () => model.regularizationLosses?.() ?? [],
    outputNames: names,
  };
}

/** Frees a model's outputs and the logits recorded for them. */
export function disposeOutputs(outs: readonly tf.Tensor[]): void {
  for (const o of outs) {
    const l = attachedLogits(o);
    if (l !== undefined && !l.isDisposed) l.dispose();
    o.dispose();
  }
}
