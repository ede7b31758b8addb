import {
  type HostTensor,
  type NumericHostTensor,
  type SavedVariable,
  bytesOf,
  cannot,
  isPendingTensor,
} from "@kerastore/core";
import { TfjsFormatError } from "./errors.js";
import { type QuantizationDType, type TfjsWriteSettings, quantizationFor } from "./options.js";
import { quantize } from "./quantize.js";
import { TFJS_WEIGHT_DTYPES } from "./tfjs-support.js";
import type { ManifestWeight } from "./write-model.js";
import type { NamedWeight } from "./weight-names.js";

/** One weight of the manifest, with where its bytes come from and how many they are. */
export interface PlannedWeight {
  /** The manifest entry; a quantized weight's `min` / `scale` are filled in when its bytes are made. */
  readonly entry: ManifestWeight;
  readonly variable: SavedVariable;
  readonly quantize: QuantizationDType | undefined;
  /** Bytes it takes in the shards (known from dtype and shape, before any value is read). */
  readonly byteLength: number;
}

const ELEMENT_BYTES: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  float16: 2,
  uint8: 1,
  uint16: 2,
};

/**
 * The manifest's weights in order with their shard byte counts, from dtypes and shapes alone
 * (a lazily read tree's values are not touched). Refuses duplicate names and dtypes a tfjs
 * manifest cannot hold.
 */
export function planWeights(
  named: readonly NamedWeight[],
  settings: TfjsWriteSettings,
  where: string,
): PlannedWeight[] {
  const plan: PlannedWeight[] = [];
  const seen = new Set<string>();
  for (const { name, variable } of named) {
    if (seen.has(name))
      throw new TfjsFormatError(
        "unsupported-by-tfjs",
        cannot("write", `${where} as tfjs`, `two weights would both be named ${name}`),
      );
    seen.add(name);
    const value = variable.value;
    const dtype = value.dtype === "string" ? "string" : widened(value.dtype);
    if (!TFJS_WEIGHT_DTYPES.has(dtype)) {
      throw new TfjsFormatError(
        "unsupported-by-tfjs",
        cannot(
          "write",
          `${where} as tfjs`,
          `weight ${name} is ${value.dtype}; a tfjs weights manifest holds float32, int32 and bool`,
        ),
      );
    }
    if (value.dtype === "float16" || value.dtype === "bfloat16") {
      throw new TfjsFormatError(
        "unsupported-by-tfjs",
        cannot("write", `${where} as tfjs`, `weight ${name} is ${value.dtype}: convert the model to float32 first`),
      );
    }
    const q = dtype === "float32" ? quantizationFor(settings, name, where) : undefined;
    const count = value.shape.reduce((a, b) => a * b, 1);
    const entry: ManifestWeight = { name, shape: [...value.shape], dtype };
    plan.push({ entry, variable, quantize: q, byteLength: count * ELEMENT_BYTES[q ?? dtype]! });
  }
  return plan;
}

/** The bytes one planned weight puts in the shards, reading a lazily read value first. */
async function weightBytes(weight: PlannedWeight, where: string): Promise<Uint8Array> {
  let value: HostTensor = weight.variable.value;
  if (isPendingTensor(value)) value = await value.load();
  const tensor = value as NumericHostTensor;
  const dtype = weight.entry.dtype;
  let bytes: Uint8Array;
  if (weight.quantize !== undefined) {
    const quantized = quantize(asFloat32(tensor), weight.quantize);
    weight.entry.quantization = quantized.entry;
    bytes = bytesOf(quantized.data);
  } else {
    bytes = dtype === tensor.dtype ? bytesOf(tensor.data) : bytesOf(convert(tensor, dtype));
  }
  checkByteLength(weight, bytes.byteLength, where);
  return bytes;
}

/** Throws where a weight gives another number of bytes than its shape and dtype say. */
function checkByteLength(weight: PlannedWeight, given: number, where: string): void {
  if (given === weight.byteLength) return;
  throw new TfjsFormatError(
    "unsupported-by-tfjs",
    cannot(
      "write",
      `${where} as tfjs`,
      `weight ${weight.entry.name} gave ${given} bytes where its shape and dtype say ${weight.byteLength}`,
    ),
  );
}

/**
 * A run of one weight's bytes that lie in the source file as they go into the shards, copied
 * when the writer asks into a buffer of the writer's (no buffer per weight).
 */
export interface CopyPiece {
  readonly byteLength: number;
  /** Copies `target.byteLength` bytes of the run, from byte `start` of it on, into `target`, now. */
  copyInto(target: Uint8Array, start: number): void;
}

/** One piece of a shard: bytes (a view, valid for good) or a run to copy ({@link CopyPiece}). */
export type ShardPiece = Uint8Array | CopyPiece;

/** One shard file: its name and its bytes, as chunks or as pieces (iterate one of them, once). */
export interface ShardStream {
  readonly name: string;
  /** The bytes as chunks, each valid for good (a CopyPiece copied into a buffer of its own). */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** The bytes as pieces, for a writer with a buffer of its own to copy runs through. */
  readonly pieces?: AsyncIterable<ShardPiece> | undefined;
}

/**
 * A weight whose bytes go into the shards as they lie in the file (a lazily read float32 or
 * int32 tensor, contiguous and unfiltered, from a file read synchronously): its copier; else undefined.
 */
function copierOf(weight: PlannedWeight, where: string): CopyPiece | undefined {
  const value = weight.variable.value;
  if (weight.quantize !== undefined || !isPendingTensor(value) || value.readBytesInto === undefined) return undefined;
  if (value.dtype !== weight.entry.dtype) return undefined;
  checkByteLength(weight, value.byteLength, where);
  return { byteLength: value.byteLength, copyInto: value.readBytesInto };
}

/** A piece's bytes in a buffer of their own. */
function materialized(piece: ShardPiece): Uint8Array {
  if (piece instanceof Uint8Array) return piece;
  const out = new Uint8Array(piece.byteLength);
  piece.copyInto(out, 0);
  return out;
}

/**
 * The weights' bytes back to back, cut into shards of `size` bytes: each shard's chunks are views
 * of the weights (no copy), made as the shard is written. A weight that lies in the file as it
 * goes into the shards comes as runs to copy (CopyPiece: `pieces`), read when the writer copies
 * them; other weights are read ahead of the writes (up to READ_AHEAD_BYTES), so reading and
 * writing overlap where the reads are asynchronous.
 */
export function cutShards(plan: readonly PlannedWeight[], total: number, size: number, where: string): ShardStream[] {
  const count = Math.ceil(total / size);
  // Weights in order: a copier, or the promise of their bytes being made. Reads run ahead of the
  // writes by up to READ_AHEAD_BYTES (at least one weight).
  const queue: (CopyPiece | Promise<Uint8Array>)[] = [];
  let queuedBytes = 0;
  let index = 0;
  const fill = (): void => {
    while (index < plan.length && (queue.length === 0 || queuedBytes < READ_AHEAD_BYTES)) {
      const weight = plan[index++]!;
      // Zero-byte weights take no room: skip them (their manifest entries still count).
      if (weight.byteLength === 0) continue;
      const copier = copierOf(weight, where);
      if (copier !== undefined) {
        queue.push(copier);
        continue;
      }
      const p = weightBytes(weight, where);
      p.catch(() => undefined); // awaited in order below; a failure must not go unhandled first
      queue.push(p);
      queuedBytes += weight.byteLength;
    }
  };
  let current: ShardPiece | undefined;
  let offset = 0;
  const take = async function* (room: number): AsyncGenerator<ShardPiece> {
    while (room > 0) {
      if (current === undefined || offset === current.byteLength) {
        fill();
        const next = queue.shift();
        if (next === undefined)
          throw new TfjsFormatError(
            "bad-weights",
            cannot("write", `${where} as tfjs`, "the weights gave fewer bytes than their shapes and dtypes say"),
          );
        if (next instanceof Promise) {
          current = await next;
          queuedBytes -= current.byteLength;
        } else current = next;
        offset = 0;
        fill();
      }
      const n = Math.min(room, current.byteLength - offset);
      if (current instanceof Uint8Array) yield current.subarray(offset, offset + n);
      else if (n === current.byteLength) yield current;
      else yield subPiece(current, offset, n);
      offset += n;
      room -= n;
    }
  };
  const chunks = async function* (room: number): AsyncGenerator<Uint8Array> {
    for await (const piece of take(room)) yield materialized(piece);
  };
  return Array.from({ length: count }, (_, i) => {
    const room = Math.min(size, total - i * size);
    return {
      name: `group1-shard${i + 1}of${count}.bin`,
      chunks: { [Symbol.asyncIterator]: () => chunks(room) },
      pieces: { [Symbol.asyncIterator]: () => take(room) },
    };
  });
}

/** `length` bytes of `piece` from byte `from` on. */
function subPiece(piece: CopyPiece, from: number, length: number): CopyPiece {
  return { byteLength: length, copyInto: (target, start) => piece.copyInto(target, from + start) };
}

/** How far the weights' reads may run ahead of the shard writes. */
const READ_AHEAD_BYTES = 16 * 2 ** 20;

/** The converter's automatic conversions: float64 to float32, int64 (and narrower ints) to int32. */
export function widened(dtype: string): string {
  if (dtype === "float64") return "float32";
  if (
    dtype === "int64" ||
    dtype === "int8" ||
    dtype === "int16" ||
    dtype === "uint8" ||
    dtype === "uint16" ||
    dtype === "uint32"
  )
    return "int32";
  return dtype;
}

function asFloat32(tensor: NumericHostTensor): Float32Array {
  return tensor.data instanceof Float32Array ? tensor.data : (convert(tensor, "float32") as Float32Array);
}

function convert(tensor: NumericHostTensor, dtype: string): Float32Array | Int32Array {
  const n = tensor.data.length;
  const out = dtype === "float32" ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Number(tensor.data[i]!);
  return out;
}
