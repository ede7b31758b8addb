import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { field } from "../config-fields.js";
import { EngineError } from "../errors.js";
import { Layer, type LayerArgs } from "../layer.js";
import type { Shape } from "../symbolic.js";

/** Options of Dot. */
export interface DotArgs extends LayerArgs {
  /** The axis (or one per input) summed over; counted with the batch axis. */
  readonly axes: number | readonly [number, number];
  /** L2-normalize both inputs along those axes first (cosine similarity). */
  readonly normalize?: boolean | undefined;
}

/** The dot product of two tensors along an axis per sample (Keras's `batch_dot`). */
export class Dot extends Layer {
  static override readonly className: string = "Dot";
  static override readonly fields = [field("axes", "axes", null), field("normalize", "normalize", false)];
  declare readonly axes: number | [number, number];
  declare readonly normalize: boolean;

  constructor(args: DotArgs) {
    super(args);
    const ok = (a: unknown) => Number.isSafeInteger(a);
    if (!(ok(this.axes) || (Array.isArray(this.axes) && this.axes.length === 2 && this.axes.every(ok)))) {
      throw new EngineError(
        "invalid-argument",
        cannot(
          "make",
          `Dot layer "${this.name}"`,
          `axes must be an integer or a list of two, got ${JSON.stringify(this.axes)}`,
        ),
      );
    }
  }

  // Keras's Dot has a build step, so its config records a build_config.
  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  private axesFor(ranks: [number, number]): [number, number] {
    const pair = Array.isArray(this.axes) ? this.axes : [this.axes, this.axes];
    const out = pair.map((a, i) => (a < 0 ? a + ranks[i]! : a)) as [number, number];
    if (out.some((a, i) => a < 1 || a >= ranks[i]!)) {
      throw new EngineError(
        "invalid-shape",
        cannot(
          "call",
          `Dot layer "${this.name}"`,
          `axes ${JSON.stringify(this.axes)} do not fit inputs of ranks ${ranks.join(" and ")}`,
        ),
      );
    }
    return out;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    if (!Array.isArray(inputs) || inputs.length !== 2) {
      throw new EngineError(
        "invalid-argument",
        cannot("call", `Dot layer "${this.name}"`, "it takes a list of exactly two tensors"),
      );
    }
    const [a0, a1] = this.axesFor([inputs[0]!.rank, inputs[1]!.rank]);
    return tf.tidy(() => {
      let x = inputs[0]!;
      let y = inputs[1]!;
      if (this.normalize) {
        x = l2Normalize(x, a0);
        y = l2Normalize(y, a1);
      }
      const b = x.shape[0]!;
      const k = x.shape[a0]!;
      const xRest = x.shape.filter((_, i) => i !== 0 && i !== a0);
      const yRest = y.shape.filter((_, i) => i !== 0 && i !== a1);
      const xt = tf.reshape(tf.transpose(x, [0, ...range(x.rank).filter((i) => i !== 0 && i !== a0), a0]), [
        b,
        -1,
        k,
      ]) as tf.Tensor3D;
      const yt = tf.reshape(tf.transpose(y, [0, a1, ...range(y.rank).filter((i) => i !== 0 && i !== a1)]), [
        b,
        k,
        -1,
      ]) as tf.Tensor3D;
      const out = tf.matMul(xt, yt);
      const shape = [b, ...xRest, ...yRest];
      return tf.reshape(out, shape.length === 1 ? [b, 1] : shape);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [s0, s1] = inputShape as [Shape, Shape];
    const [a0, a1] = this.axesFor([s0.length, s1.length]);
    const shape = [
      s0[0] ?? null,
      ...s0.filter((_, i) => i !== 0 && i !== a0),
      ...s1.filter((_, i) => i !== 0 && i !== a1),
    ];
    return shape.length === 1 ? [shape[0]!, 1] : shape;
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** `x / sqrt(max(sum(x^2), 1e-12))` along an axis, as Keras's l2_normalize. */
export function l2Normalize(x: tf.Tensor, axis: number | number[]): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), axis, true), 1e-12))));
}
