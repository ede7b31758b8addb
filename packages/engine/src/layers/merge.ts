import * as tf from "@tensorflow/tfjs-core";
import { cannot, formatShape } from "@kerastore/core";
import { field } from "../config-fields.js";
import { EngineError } from "../errors.js";
import { type CallOptions, Layer, type LayerArgs } from "../layer.js";
import { addRelu } from "../ops/wasm/relu-train.js";
import type { Shape } from "../symbolic.js";

/** A layer that merges a list of tensors into one. */
abstract class Merge extends Layer {
  protected abstract merge(xs: tf.Tensor[], options: CallOptions): tf.Tensor;

  // Keras's merge layers have a build step, so their configs record a build_config.
  override build(inputShape: Shape | Shape[]): void {
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions = {}): tf.Tensor {
    if (!Array.isArray(inputs) || inputs.length < 1) {
      throw new EngineError(
        "invalid-argument",
        cannot("call", `${this.className} layer "${this.name}"`, "it takes a list of tensors"),
      );
    }
    return tf.tidy(() => this.merge(inputs, options));
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = listOfShapes(this, inputShape);
    const rank = Math.max(...shapes.map((s) => s.length));
    const out: Shape = [];
    for (let i = 0; i < rank; i++) {
      const dims: (number | null)[] = shapes.map((s) =>
        s.length - rank + i < 0 ? 1 : (s[s.length - rank + i] ?? null),
      );
      // As Keras: known sizes other than 1 must agree (they broadcast, or the merge cannot run).
      const sizes = new Set(dims.filter((d): d is number => d !== null && d !== 1));
      if (sizes.size > 1) throw incompatible(this, shapes);
      out.push(dims.includes(null) ? null : Math.max(...(dims as number[])));
    }
    return out;
  }
}

/** The shapes a merge layer is called on: a list of at least one shape, as Keras requires. */
function listOfShapes(layer: Layer, inputShape: Shape | Shape[]): Shape[] {
  const shapes = inputShape as unknown[];
  if (!Array.isArray(shapes) || shapes.length < 1 || !shapes.every((s) => Array.isArray(s))) {
    throw new EngineError(
      "invalid-argument",
      cannot("call", `${layer.className} layer "${layer.name}"`, "it takes a list of tensors, got one tensor"),
    );
  }
  return shapes as Shape[];
}

function incompatible(layer: Layer, shapes: readonly Shape[]): EngineError {
  return new EngineError(
    "invalid-shape",
    cannot(
      "call",
      `${layer.className} layer "${layer.name}"`,
      `its inputs have incompatible shapes ${shapes.map((s) => formatShape(s)).join(" and ")}`,
    ),
  );
}

const reduce = (xs: tf.Tensor[], op: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): tf.Tensor =>
  xs.slice(1).reduce(op, xs[0]!);

/** Element-wise sum. */
export class Add extends Merge {
  static override readonly className: string = "Add";
  protected merge(xs: tf.Tensor[], options: CallOptions): tf.Tensor {
    // A ReLU after (../relu-fusion.ts): the last sum and the ReLU in one pass.
    if (options.reluAfter === true) return addRelu(reduce(xs.slice(0, -1), tf.add), xs.at(-1)!);
    return reduce(xs, tf.add);
  }
}

/** `a - b` of exactly two tensors. */
export class Subtract extends Merge {
  static override readonly className: string = "Subtract";
  protected merge(xs: tf.Tensor[]): tf.Tensor {
    if (xs.length !== 2) {
      throw new EngineError(
        "invalid-argument",
        cannot("call", `Subtract layer "${this.name}"`, `it takes exactly 2 tensors, got ${xs.length}`),
      );
    }
    return tf.sub(xs[0]!, xs[1]!);
  }
}

/** Element-wise product. */
export class Multiply extends Merge {
  static override readonly className: string = "Multiply";
  protected merge(xs: tf.Tensor[]): tf.Tensor {
    return reduce(xs, tf.mul);
  }
}

/** Element-wise mean. */
export class Average extends Merge {
  static override readonly className: string = "Average";
  protected merge(xs: tf.Tensor[]): tf.Tensor {
    return tf.div(reduce(xs, tf.add), xs.length);
  }
}

/** Element-wise maximum. */
export class Maximum extends Merge {
  static override readonly className: string = "Maximum";
  protected merge(xs: tf.Tensor[]): tf.Tensor {
    return reduce(xs, tf.maximum);
  }
}

/** Element-wise minimum. */
export class Minimum extends Merge {
  static override readonly className: string = "Minimum";
  protected merge(xs: tf.Tensor[]): tf.Tensor {
    return reduce(xs, tf.minimum);
  }
}

/** Joins tensors along an axis (the last by default). */
export class Concatenate extends Merge {
  static override readonly className: string = "Concatenate";
  static override readonly fields = [field("axis", "axis", -1)];
  declare readonly axis: number;

  constructor(args: LayerArgs & { readonly axis?: number } = {}) {
    super(args);
  }

  protected merge(xs: tf.Tensor[]): tf.Tensor {
    return tf.concat(xs, this.axis);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shapes = listOfShapes(this, inputShape);
    const first = shapes[0]!;
    const axis = this.axis < 0 ? first.length + this.axis : this.axis;
    const out = [...first];
    const dims = shapes.map((s) => s[axis]);
    // As Keras: every axis but the joined one must agree where known.
    if (axis < 0 || axis >= first.length) throw incompatible(this, shapes);
    for (const s of shapes) {
      if (s.length !== first.length) throw incompatible(this, shapes);
      for (let i = 0; i < s.length; i++) {
        if (i !== axis && s[i] !== null && first[i] !== null && s[i] !== first[i]) throw incompatible(this, shapes);
      }
    }
    out[axis] = dims.includes(null) || dims.includes(undefined) ? null : (dims as number[]).reduce((a, b) => a + b, 0);
    return out;
  }
}
