import * as tf from "@tensorflow/tfjs-core";
import {
  type HostTensor,
  type NumericHostTensor,
  cannot,
  formatShape,
  hostTensor,
  sizeOf,
  toFloat32,
} from "@kerastore/core";
import type { Constraint } from "./constraints.js";
import type { Initializer } from "./initializers.js";
import { EngineError } from "./errors.js";
import type { Regularizer } from "./regularizers.js";

/** What `setWeights` and `Variable.assign` accept: a HostTensor, or a flat array of the right length. */
export type WeightValue = HostTensor | Float32Array | Int32Array | number[];

/**
 * A layer's weight: a tfjs variable with its Keras attribute name, path and trainable flag.
 */
export class Variable {
  /** The tfjs variable holding the value. */
  readonly value: tf.Variable;
  /**
   * The initializer not run yet: set when the weight was made during a load (its value zeros
   * until the file's value is assigned); cleared by `assign` and `initializePending`.
   */
  pendingInitializer: Initializer | null = null;

  constructor(
    /** The attribute name (`kernel`). */
    readonly name: string,
    /** The Keras 3 path (`dense/kernel`, `sequential/dense/kernel`). */
    public path: string,
    initial: tf.Tensor,
    /** Whether training updates it. */
    public trainable: boolean,
    readonly regularizer: Regularizer | null = null,
    readonly constraint: Constraint | null = null,
  ) {
    this.value = tf.variable(initial, trainable);
  }

  /** Frees the backend memory holding the value. Idempotent. */
  dispose(): void {
    if (!this.value.isDisposed) this.value.dispose();
  }

  get shape(): number[] {
    return this.value.shape;
  }

  get dtype(): tf.DataType {
    return this.value.dtype;
  }

  /** The value on the host. */
  read(): NumericHostTensor {
    const data = this.value.dataSync();
    if (this.value.dtype === "int32") return hostTensor("int32", this.shape, Int32Array.from(data));
    if (this.value.dtype === "bool") return hostTensor("bool", this.shape, Uint8Array.from(data));
    return hostTensor("float32", this.shape, Float32Array.from(data));
  }

  /** Sets the value, checking the shape (`where` names the weight in errors). */
  assign(value: WeightValue, where = this.path): void {
    const shape = Array.isArray(value) || ArrayBuffer.isView(value) ? this.shape : (value as HostTensor).shape;
    const data = valueData(value, where);
    if (!sameDims(shape, this.shape) || data.length !== sizeOf(this.shape)) {
      throw new EngineError(
        "weight-mismatch",
        cannot(
          "set",
          `weight ${where}`,
          `expected shape ${formatShape(this.shape)}, got ${formatShape(shape)} with ${data.length} values`,
        ),
        { path: where },
      );
    }
    // The variable takes a reference to the new value's data; the tensor made for it is ours to free
    // (else every assign kept its bytes alive after the variable was disposed).
    const next = tf.tensor(data, this.shape, this.value.dtype);
    this.value.assign(next);
    next.dispose();
    this.pendingInitializer = null;
  }

  /** Runs the pending initializer, if any (a weight a load left without a value from the file). */
  initializePending(): void {
    const init = this.pendingInitializer;
    if (init === null) return;
    this.pendingInitializer = null;
    const value = tf.tidy(() => init.apply([...this.shape], this.value.dtype));
    this.value.assign(value);
    value.dispose();
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function valueData(value: WeightValue, where: string): Float32Array | Int32Array {
  if (Array.isArray(value)) return Float32Array.from(value);
  if (value instanceof Float32Array || value instanceof Int32Array) return value;
  const t = value as HostTensor;
  if (t.dtype === "int32") return t.data as Int32Array;
  try {
    return toFloat32(t);
  } catch (cause) {
    throw new EngineError("weight-mismatch", cannot("set", `weight ${where}`, `a ${t.dtype} value has no float form`), {
      path: where,
      cause,
    });
  }
}
