import * as tf from "@tensorflow/tfjs-core";
import { type HostTensor, type JsonObject, cannot, hostTensor, toFloat32 } from "@kerastore/core";
import { encodeField, field } from "../config-fields.js";
import { EngineError } from "../errors.js";
import type { Layer } from "../layer.js";
import type { Shape } from "../symbolic.js";

/** The first tensor of a call's inputs. */
export const one = (x: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(x) ? x[0]! : x);

/** The first shape of a call's input shapes. */
export const oneShape = (s: Shape | Shape[]): Shape =>
  s.length > 0 && Array.isArray(s[0]) ? (s as Shape[])[0]! : (s as Shape);

/**
 * A Keras int-or-tuple option as a tuple of `rank` positive integers (`3` -> `[3, 3]`); `what`
 * names it in errors.
 */
export function intTuple(value: unknown, rank: number, what: string, layer: string, min = 1): number[] {
  const list = typeof value === "number" ? Array.from({ length: rank }, () => value) : value;
  if (
    !Array.isArray(list) ||
    list.length !== rank ||
    !list.every((v) => Number.isSafeInteger(v) && (v as number) >= min)
  ) {
    throw new EngineError(
      "invalid-argument",
      cannot(
        "make",
        `layer "${layer}"`,
        `${what} must be an integer >= ${min} or a list of ${rank}, got ${JSON.stringify(value) ?? String(value)}`,
      ),
    );
  }
  return [...(list as number[])];
}

/**
 * A padding/cropping option as `rank` pairs: `1` -> `[[1, 1], ...]`, `[1, 2]` -> `[[1, 1], [2, 2]]`
 * (2-D) or `[[1, 2]]` (1-D), `[[1, 2], [0, 1]]` as is.
 */
export function pairs(value: unknown, rank: number, what: string, layer: string): [number, number][] {
  const ok = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  let out: unknown;
  if (ok(value)) out = Array.from({ length: rank }, () => [value, value]);
  else if (Array.isArray(value) && rank === 1 && value.length === 2 && value.every(ok)) out = [[value[0], value[1]]];
  else if (Array.isArray(value) && value.length === rank && value.every(ok)) out = value.map((v) => [v, v]);
  else if (Array.isArray(value) && value.length === rank) out = value;
  if (!Array.isArray(out) || !out.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok))) {
    throw new EngineError(
      "invalid-argument",
      cannot(
        "make",
        `layer "${layer}"`,
        `${what} must be an integer, ${rank} integers or ${rank} pairs, got ${JSON.stringify(value) ?? String(value)}`,
      ),
    );
  }
  return out as [number, number][];
}

/** Checks an option against the values Keras allows. */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string, layer: string): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value.toLowerCase()))
    return value.toLowerCase() as T;
  throw new EngineError(
    "invalid-argument",
    cannot(
      "make",
      `layer "${layer}"`,
      `${what} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value) ?? String(value)}`,
    ),
  );
}

/** The length of a convolution's output along one axis (Keras's `conv_output_length`). */
export function convOutputLength(
  length: number | null,
  kernel: number,
  padding: string,
  stride: number,
  dilation = 1,
): number | null {
  if (length === null) return null;
  const k = (kernel - 1) * dilation + 1;
  const out = padding === "valid" ? length - k + 1 : length;
  return Math.floor((out + stride - 1) / stride);
}

/** Throws unless every known dimension of an output shape is at least `min`. */
export function checkOutputShape(shape: Shape, layer: Layer, input: Shape, min = 1): Shape {
  if (shape.some((d) => d !== null && d < min)) {
    throw new EngineError(
      "invalid-shape",
      cannot(
        "build",
        `${layer.className} layer "${layer.name}"`,
        `an input of shape ${JSON.stringify(input)} gives an output of shape ${JSON.stringify(shape)}`,
      ),
    );
  }
  return shape;
}

/** The length of a transposed convolution's output along one axis (Keras's `deconv_output_length`). */
export function deconvOutputLength(
  length: number | null,
  kernel: number,
  padding: string,
  stride: number,
  outputPadding: number | null,
  dilation = 1,
): number | null {
  if (length === null) return null;
  const k = (kernel - 1) * dilation + 1;
  if (outputPadding === null) return padding === "valid" ? length * stride + Math.max(k - stride, 0) : length * stride;
  const pad = padding === "same" ? Math.floor(k / 2) : 0;
  return (length - 1) * stride + k - 2 * pad + outputPadding;
}

const activityField = field("activity_regularizer", "activityRegularizer", null, "regularizer");

/** A layer's config with `activity_regularizer` always present (null when unset), as Keras writes it for these layers. */
export function withActivityRegularizer(layer: Layer, config: JsonObject): JsonObject {
  config.activity_regularizer = encodeField(activityField, layer.activityRegularizer);
  return config;
}

/** NCHW-style (channels first) to channels last, for a rank-`r` tensor. */
export function toChannelsLast(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  return tf.transpose(x, [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2), 1]);
}

/** Channels last back to channels first. */
export function toChannelsFirst(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  return tf.transpose(x, [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)]);
}

/**
 * A Theano-era convolution kernel in TensorFlow's orientation: Theano convolved (flipped the
 * kernel) where TensorFlow correlates, so Keras 2 flipped every spatial axis of a Conv kernel
 * read from a file whose `backend` attribute is `theano`. The weight loader applies this to the
 * first weight of Conv1D/Conv2D/Conv3D/Conv2DTranspose layers of such files.
 */
export function flipConvKernel(kernel: HostTensor): HostTensor {
  const shape = [...kernel.shape];
  if (shape.length < 3) {
    throw new EngineError(
      "invalid-shape",
      cannot("flip", "a convolution kernel", `expected rank 3 or more, got shape [${shape.join(", ")}]`),
    );
  }
  const src = toFloat32(kernel);
  const dst = new Float32Array(src.length);
  const spatial = shape.length - 2;
  const inner = shape[spatial]! * shape[spatial + 1]!;
  const dims = shape.slice(0, spatial);
  const count = dims.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(spatial).fill(0);
  for (let n = 0; n < count; n++) {
    // n is the source's spatial position; its flipped position is the destination.
    let rem = n;
    for (let a = spatial - 1; a >= 0; a--) {
      idx[a] = rem % dims[a]!;
      rem = Math.floor(rem / dims[a]!);
    }
    let m = 0;
    for (let a = 0; a < spatial; a++) m = m * dims[a]! + (dims[a]! - 1 - idx[a]!);
    dst.set(src.subarray(n * inner, (n + 1) * inner), m * inner);
  }
  return hostTensor("float32", shape, dst);
}
