import type { JsonObject } from "@kerastore/core";
import type { Layer } from "./layer.js";

/** A shape with unknown dimensions as null (the batch dimension, usually). */
export type Shape = (number | null)[];

/** Where a symbolic tensor came from: the layer, which call of it, which output. */
export interface KerasHistory {
  readonly layer: Layer;
  readonly nodeIndex: number;
  readonly tensorIndex: number;
}

/**
 * A symbolic tensor: a shape and dtype that records the layer call that produced it, from
 * which a functional model reads its graph (Keras's `KerasTensor`).
 */
export class KerasTensor {
  constructor(
    readonly shape: Shape,
    readonly dtype: string,
    readonly history: KerasHistory,
  ) {}
}

/** One call of a layer on symbolic tensors (Keras's inbound node). */
export interface LayerNode {
  readonly layer: Layer;
  /** The inputs, flattened. */
  readonly inputs: readonly KerasTensor[];
  /** Whether the call got one tensor or a list. */
  readonly inputIsList: boolean;
  readonly outputs: readonly KerasTensor[];
  /** Keyword arguments to record in the config (`{"mask": null}`). */
  readonly kwargs: JsonObject;
}

/** True when a value is a symbolic tensor or a list of them. */
export function isSymbolic(x: unknown): x is KerasTensor | readonly KerasTensor[] {
  return x instanceof KerasTensor || (Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof KerasTensor));
}
