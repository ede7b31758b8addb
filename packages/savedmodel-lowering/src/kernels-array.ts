import { cannot } from "@kerastore/core";
import { tf } from "@kerastore/engine";
import type { Kernel } from "@kerastore/savedmodel";
import { LoweringError } from "./errors.js";
import { tfjsDtypeOf, toTfjs } from "./host-tensors.js";
import { intsOf } from "./kernels-math.js";

type K = Kernel<tf.Tensor>;

const identity: K = ([x]) => [x!];
const axisOf = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** Constants, identities, casts and shape manipulation. */
export const arrayKernels: Readonly<Record<string, K>> = {
  Const: (_, attrs, ctx) => [toTfjs(attrs.tensor("value"), `node ${ctx.node}`)],
  Identity: identity,
  Snapshot: identity,
  StopGradient: identity,
  PreventGradient: identity,
  EnsureShape: identity,
  CheckNumerics: identity,
  ReadVariableOp: identity,
  IdentityN: (inputs) => inputs,
  NoOp: () => [],
  Placeholder: (_, __, ctx) => {
    throw new LoweringError(
      "unsupported",
      cannot("run", `node ${ctx.node}`, "a Placeholder inside a function has no value"),
    );
  },
  Cast: ([x], attrs) => [tf.cast(x!, tfjsDtypeOf(attrs.type("DstT")))],
  Shape: ([x]) => [tf.tensor1d(x!.shape, "int32")],
  Size: ([x]) => [tf.scalar(x!.size, "int32")],
  Rank: ([x]) => [tf.scalar(x!.rank, "int32")],
  Reshape: ([x, shape]) => [tf.reshape(x!, intsOf(shape!))],
  Squeeze: ([x], attrs) => {
    const dims = attrs.ints("squeeze_dims", []);
    return [
      dims.length === 0
        ? tf.squeeze(x!)
        : tf.squeeze(
            x!,
            dims.map((d) => axisOf(d, x!.rank)),
          ),
    ];
  },
  ExpandDims: ([x, axis]) => [tf.expandDims(x!, intsOf(axis!)[0])],
  Transpose: ([x, perm]) => [tf.transpose(x!, intsOf(perm!))],
  ConcatV2: (inputs) => {
    const axis = intsOf(inputs[inputs.length - 1]!)[0]!;
    const parts = inputs.slice(0, -1);
    return [tf.concat([...parts], axisOf(axis, parts[0]!.rank))];
  },
  Pack: (inputs, attrs) => [tf.stack([...inputs], axisOf(attrs.int("axis", 0), inputs[0]!.rank + 1))],
  Unpack: ([x], attrs) => tf.unstack(x!, axisOf(attrs.int("axis", 0), x!.rank)),
  Split: ([axis, x], attrs) => tf.split(x!, attrs.int("num_split"), axisOf(intsOf(axis!)[0]!, x!.rank)),
  SplitV: ([x, sizes, axis]) => tf.split(x!, intsOf(sizes!), axisOf(intsOf(axis!)[0]!, x!.rank)),
  StridedSlice: ([x, begin, end, strides], attrs) => [
    tf.stridedSlice(
      x!,
      intsOf(begin!),
      intsOf(end!),
      intsOf(strides!),
      attrs.int("begin_mask", 0),
      attrs.int("end_mask", 0),
      attrs.int("ellipsis_mask", 0),
      attrs.int("new_axis_mask", 0),
      attrs.int("shrink_axis_mask", 0),
    ),
  ],
  Slice: ([x, begin, size]) => [tf.slice(x!, intsOf(begin!), intsOf(size!))],
  GatherV2: ([params, indices, axis], attrs) => [
    tf.gather(params!, indices!, intsOf(axis!)[0], attrs.int("batch_dims", 0)),
  ],
  ReverseV2: ([x, axis]) => [
    tf.reverse(
      x!,
      intsOf(axis!).map((a) => axisOf(a, x!.rank)),
    ),
  ],
  ResourceGather: ([table, indices], attrs) => [tf.gather(table!, indices!, 0, attrs.int("batch_dims", 0))],
  GatherNd: ([params, indices]) => [tf.gatherND(params!, indices!)],
  BroadcastTo: ([x, shape]) => [tf.broadcastTo(x!, intsOf(shape!))],
  MatrixBandPart: ([x, lower, upper]) => [tf.linalg.bandPart(x!, intsOf(lower!)[0]!, intsOf(upper!)[0]!)],
  // Built from a comparison: tf.oneHot on WASM gives NaN for float on/off values.
  OneHot: ([indices, depth, on, off], attrs) => {
    const axis = attrs.int("axis", -1);
    const where = axis === -1 ? indices!.rank : axis;
    const n = intsOf(depth!)[0]!;
    const positions = tf.reshape(tf.range(0, n, 1, "int32"), [n, ...new Array<number>(indices!.rank - where).fill(1)]);
    const hit = tf.equal(tf.expandDims(tf.cast(indices!, "int32"), where), positions);
    return [tf.where(hit, tf.broadcastTo(on!, hit.shape), tf.broadcastTo(off!, hit.shape))];
  },
  Tile: ([x, multiples]) => [tf.tile(x!, intsOf(multiples!))],
  Pad: ([x, paddings]) => [tf.pad(x!, pairs(intsOf(paddings!)))],
  PadV2: ([x, paddings, value]) => [tf.pad(x!, pairs(intsOf(paddings!)), intsOf(value!)[0])],
  Fill: ([shape, value]) => [tf.fill(intsOf(shape!), value!.dataSync()[0] as number, value!.dtype)],
  ZerosLike: ([x]) => [tf.zerosLike(x!)],
  OnesLike: ([x]) => [tf.onesLike(x!)],
  Range: ([start, limit, delta], attrs) => [
    tf.range(
      intsOf(start!)[0]!,
      intsOf(limit!)[0]!,
      intsOf(delta!)[0]!,
      tfjsDtypeOf(attrs.type("Tidx", "int32")) as "float32" | "int32",
    ),
  ],
};

function pairs(flat: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}
