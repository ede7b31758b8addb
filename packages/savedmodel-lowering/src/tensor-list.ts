import { cannot } from "@kerastore/core";
import { tf } from "@kerastore/engine";
import type { Kernel } from "@kerastore/savedmodel";
import { LoweringError } from "./errors.js";
import { intsOf } from "./kernels-math.js";
import { tfjsDtypeOf } from "./host-tensors.js";

/**
 * TensorFlow's `TensorList` (a variant tensor in graphs): what `tf.while_loop` bodies, and so
 * Keras's recurrent layers, read inputs from and write outputs to. Lists are values: setting an
 * item gives a new list.
 */
export class TensorList {
  constructor(
    readonly items: readonly (tf.Tensor | undefined)[],
    readonly elementShape: readonly number[] | undefined,
    readonly elementDtype: tf.DataType,
  ) {}
}

/** A value flowing through a SavedModel function on tfjs. */
export type GraphValue = tf.Tensor | TensorList;

type K = Kernel<GraphValue>;

function listOf(v: GraphValue | undefined, node: string): TensorList {
  if (!(v instanceof TensorList))
    throw new LoweringError("unsupported", cannot("run", `node ${node}`, "expected a TensorList input"));
  return v;
}

function tensorOf(v: GraphValue | undefined, node: string): tf.Tensor {
  if (!(v instanceof tf.Tensor))
    throw new LoweringError("unsupported", cannot("run", `node ${node}`, "expected a tensor input, got a TensorList"));
  return v;
}

/** A fully known element shape, or undefined (TensorFlow writes -1 for unknown sizes and rank). */
function elementShape(t: tf.Tensor): number[] | undefined {
  const dims = intsOf(t);
  return t.rank === 0 || dims.some((d) => d < 0) ? undefined : dims;
}

function itemAt(list: TensorList, index: number, node: string): tf.Tensor {
  if (!Number.isInteger(index) || index < 0 || index >= list.items.length) {
    throw new LoweringError(
      "invalid-argument",
      cannot("run", `node ${node}`, `TensorList index ${index} is outside 0..${list.items.length - 1}`),
    );
  }
  const item = list.items[index];
  if (item !== undefined) return item;
  if (list.elementShape === undefined)
    throw new LoweringError(
      "unsupported",
      cannot("run", `node ${node}`, "reading an unset TensorList item of unknown shape"),
    );
  return tf.zeros([...list.elementShape], list.elementDtype);
}

/** Kernels of the TensorList ops `tf.while_loop` uses. */
export const tensorListKernels: Readonly<Record<string, K>> = {
  TensorListReserve: ([shape, count], attrs, ctx) => {
    const n = intsOf(tensorOf(count, ctx.node))[0]!;
    if (!Number.isInteger(n) || n < 0 || n > 1 << 24)
      throw new LoweringError("invalid-argument", cannot("run", `node ${ctx.node}`, `TensorList of ${n} elements`));
    return [
      new TensorList(
        new Array<undefined>(n).fill(undefined),
        elementShape(tensorOf(shape, ctx.node)),
        tfjsDtypeOf(attrs.type("element_dtype")),
      ),
    ];
  },
  TensorListFromTensor: ([t], _, ctx) => {
    const tensor = tensorOf(t, ctx.node);
    return [new TensorList(tf.unstack(tensor), tensor.shape.slice(1), tensor.dtype)];
  },
  TensorListGetItem: ([list, index], _, ctx) => [
    itemAt(listOf(list, ctx.node), intsOf(tensorOf(index, ctx.node))[0]!, ctx.node),
  ],
  TensorListSetItem: ([list, index, item], _, ctx) => {
    const l = listOf(list, ctx.node);
    const i = intsOf(tensorOf(index, ctx.node))[0]!;
    itemAt(new TensorList(l.items, [], l.elementDtype), i, ctx.node);
    const items = [...l.items];
    items[i] = tensorOf(item, ctx.node);
    return [new TensorList(items, l.elementShape ?? tensorOf(item, ctx.node).shape, l.elementDtype)];
  },
  TensorListLength: ([list], _, ctx) => [tf.scalar(listOf(list, ctx.node).items.length, "int32")],
  TensorListStack: ([list], _, ctx) => {
    const l = listOf(list, ctx.node);
    if (l.items.length === 0) {
      if (l.elementShape === undefined)
        throw new LoweringError(
          "unsupported",
          cannot("run", `node ${ctx.node}`, "stacking an empty TensorList of unknown shape"),
        );
      return [tf.zeros([0, ...l.elementShape], l.elementDtype)];
    }
    return [tf.stack(l.items.map((_, i) => itemAt(l, i, ctx.node)))];
  },
};
