import { cannot } from "@kerastore/core";
import { SavedModelError } from "./errors.js";
import type { TensorShapeProto } from "./gen/tensor_pb.js";

/** Ranks beyond this are refused: TensorFlow itself caps ranks at 254. */
const MAX_RANK = 254;

/** A shape as stored in a SavedModel: null for an unknown rank, null entries for unknown sizes. */
export type PartialShape = readonly (number | null)[] | null;

/** Turns a `TensorShapeProto` into a partial shape, refusing sizes below -1 or past 2^53. */
export function partialShapeOf(proto: TensorShapeProto | undefined, where: string): PartialShape {
  if (proto === undefined) return null;
  if (proto.unknownRank) return null;
  if (proto.dim.length > MAX_RANK) {
    throw new SavedModelError(
      "corrupt",
      cannot("read", `the shape of ${where}`, `rank ${proto.dim.length} is over ${MAX_RANK}`),
    );
  }
  return proto.dim.map((d) => {
    if (d.size === -1n) return null;
    if (d.size < 0n || d.size > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new SavedModelError(
        "corrupt",
        cannot("read", `the shape of ${where}`, `dimension size ${d.size} is out of range`),
      );
    }
    return Number(d.size);
  });
}

/** Turns a `TensorShapeProto` that must be fully known into a shape. */
export function fullShapeOf(proto: TensorShapeProto | undefined, where: string): number[] {
  const shape = partialShapeOf(proto, where);
  if (shape === null || shape.some((d) => d === null)) {
    throw new SavedModelError("corrupt", cannot("read", `the shape of ${where}`, "it is not fully known"));
  }
  return shape as number[];
}

/** Whether a concrete shape fits a partial one (unknown rank or sizes match anything). */
export function shapeFits(shape: readonly number[], partial: PartialShape): boolean {
  if (partial === null) return true;
  return shape.length === partial.length && partial.every((d, i) => d === null || d === shape[i]);
}

/** `[?, 3]`-style text of a partial shape, for messages. */
export function formatPartialShape(shape: PartialShape): string {
  if (shape === null) return "<unknown rank>";
  return `[${shape.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;
}
