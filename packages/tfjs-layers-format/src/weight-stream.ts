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
  if (bytes.byteLength !== weight.byteLength) {
    throw new TfjsFormatError(
      "unsupported-by-tfjs",
      cannot(
        "write",
        `${where} as tfjs`,
        `weight ${weight.entry.name} gave ${bytes.byteLength} bytes where its shape and dtype say ${weight.byteLength}`,
      ),
    );
  }
  return bytes;
}

/**
 * The weights' bytes back to back, cut into shards of `size` bytes: each shard's chunks are views
 * of the weights (no copy), made as the shard is written. Later weights are read while the
 * current one is written, so reading and writing overlap.
 */
export function cutShards(
  plan: readonly PlannedWeight[],
  total: number,
  size: number,
  where: string,
): { name: string; chunks: AsyncIterable<Uint8Array> }[] {
  const count = Math.ceil(total / size);
  // Weights whose bytes are being made, in order: reads run ahead of the writes by up to
  // READ_AHEAD_BYTES (at least one weight), so the file system reads and writes at once.
  const queue: Promise<Uint8Array>[] = [];
  let queuedBytes = 0;
  let index = 0;
  const fill = (): void => {
    while (index < plan.length && (queue.length === 0 || queuedBytes < READ_AHEAD_BYTES)) {
      const weight = plan[index++]!;
      // Zero-byte weights take no room: skip them (their manifest entries still count).
      if (weight.byteLength === 0) continue;
      const p = weightBytes(weight, where);
      p.catch(() => undefined); // awaited in order below; a failure must not go unhandled first
      queue.push(p);
      queuedBytes += weight.byteLength;
    }
  };
  let current: Uint8Array | undefined;
  let offset = 0;
  const take = async function* (room: number): AsyncGenerator<Uint8Array> {
    while (room > 0) {
      if (current === undefined || offset === current.byteLength) {
        fill();
        const p = queue.shift();
        if (p === undefined)
          throw new TfjsFormatError(
            "bad-weights",
            cannot("write", `${where} as tfjs`, "the weights gave fewer bytes than their shapes and dtypes say"),
          );
        current = await p;
        queuedBytes -= current.byteLength;
        offset = 0;
        fill();
      }
      const n = Math.min(room, current.byteLength - offset);
      yield current.subarray(offset, offset + n);
      offset += n;
      room -= n;
    }
  };
  return Array.from({ length: count }, (_, i) => ({
    name: `group1-shard${i + 1}of${count}.bin`,
    chunks: { [Symbol.asyncIterator]: () => take(Math.min(size, total - i * size)) },
  }));
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
