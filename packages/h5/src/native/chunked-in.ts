import type { RandomAccessSource } from "@kerastore/core";
import { BodyIn, type BytesIn, Fault, UNDEF, Unsupported } from "./bytes-in.js";

/** One filter of a dataset's pipeline. */
interface Filter {
  readonly id: number;
  readonly values: readonly number[];
}

/** Where a chunked dataset's chunks are, read from its layout message and chunk B-tree. */
export interface ChunkPlan {
  /** Chunk extent per dimension (without the element-size dimension). */
  readonly dims: readonly number[];
  readonly itemSize: number;
  readonly filters: readonly Filter[];
  readonly chunks: readonly { at: number; size: number; mask: number; offset: readonly number[] }[];
}

const DEFLATE = 1;
const SHUFFLE = 2;
const MAX_BTREE_DEPTH = 32;
const MAX_CHUNKS = 1 << 22;

/**
 * Reads a layout message (version 3, class 2: chunked with a version 1 B-tree index, as h5py
 * writes by default) after its class byte, and walks the chunk B-tree. Chunks are checked to lie
 * in the file and inside the dataset's extent; other chunk indexes (layout version 4) are left
 * to the h5wasm fallback.
 */
export function planChunks(
  file: BytesIn,
  layout: BodyIn,
  version: number,
  shape: readonly number[],
  itemSize: number,
  filterBody: Uint8Array | undefined,
): ChunkPlan {
  if (version !== 3) throw new Unsupported(`chunked data with layout version ${version}`);
  const rank = layout.u8();
  const btree = layout.u64();
  const sizes: number[] = [];
  for (let i = 0; i < rank; i++) sizes.push(layout.u32());
  if (rank !== shape.length + 1 || sizes[rank - 1] !== itemSize)
    throw new Fault(`the chunk shape [${sizes.join(", ")}] does not fit the dataset`);
  const dims = sizes.slice(0, -1);
  if (dims.some((d) => d < 1)) throw new Fault(`a chunk dimension is ${Math.min(...dims)}`);
  const filters = filterBody === undefined ? [] : readFilters(filterBody);
  for (const f of filters) if (f.id !== DEFLATE && f.id !== SHUFFLE) throw new Unsupported(`filter ${f.id}`);
  const chunks: ChunkPlan["chunks"][number][] = [];
  const seen = new Set<number>();
  const visit = (node: number, depth: number): void => {
    if (depth > MAX_BTREE_DEPTH) throw new Fault("a chunk B-tree is too deep");
    if (seen.has(node)) throw new Fault("a chunk B-tree loops");
    seen.add(node);
    if (!file.is(node, "TREE")) throw new Fault(`no B-tree node at ${node}`);
    if (file.u8(node + 4) !== 1) throw new Fault("a chunk B-tree node has the wrong type");
    const level = file.u8(node + 5);
    const used = file.u16(node + 6);
    const keySize = 8 + 8 * rank;
    file.check(node + 24, used * (keySize + 8) + keySize, "a chunk B-tree node");
    for (let i = 0; i < used; i++) {
      const key = node + 24 + i * (keySize + 8);
      const child = file.addr(key + keySize);
      if (level > 0) {
        visit(child, depth + 1);
        continue;
      }
      const offset: number[] = [];
      for (let d = 0; d < rank - 1; d++) offset.push(file.u64(key + 8 + 8 * d));
      if (offset.some((o, d) => o % dims[d]! !== 0 || o >= shape[d]!))
        throw new Fault(`a chunk at [${offset.join(", ")}] lies outside the dataset`);
      const size = file.u32(key);
      file.check(child, size, "a chunk");
      if (chunks.length >= MAX_CHUNKS) throw new Fault("a dataset has too many chunks");
      chunks.push({ at: child, size, mask: file.u32(key + 4), offset });
    }
  };
  if (btree !== UNDEF) visit(btree + file.base, 0);
  return { dims, itemSize, filters, chunks };
}

function readFilters(body: Uint8Array): Filter[] {
  const b = new BodyIn(body, "filter pipeline message");
  const version = b.u8();
  const count = b.u8();
  if (version === 1) b.skip(6);
  else if (version !== 2) throw new Unsupported(`filter pipeline version ${version}`);
  const out: Filter[] = [];
  for (let i = 0; i < count; i++) {
    const id = b.u16();
    const nameLength = version === 1 || id >= 256 ? b.u16() : 0;
    b.u16(); // flags
    const n = b.u16();
    if (nameLength > 0) b.skip(version === 1 ? Math.ceil(nameLength / 8) * 8 : nameLength);
    const values: number[] = [];
    for (let k = 0; k < n; k++) values.push(b.u32());
    if (version === 1 && n % 2 === 1) b.skip(4);
    out.push({ id, values });
  }
  return out;
}

/**
 * Reads a chunked dataset's values from the source: each chunk by one range read, unfiltered
 * (inflate, unshuffle) and copied into place. Only one chunk is held besides the result.
 */
export async function readChunked(
  source: RandomAccessSource,
  plan: ChunkPlan,
  shape: readonly number[],
  nbytes: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(nbytes);
  const { dims, itemSize } = plan;
  const chunkBytes = dims.reduce((n, d) => n * d, itemSize);
  const rank = shape.length;
  // Row strides of the dataset and of a chunk, in elements.
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((n, x) => n * x, 1));
  const chunkStrides = dims.map((_, d) => dims.slice(d + 1).reduce((n, x) => n * x, 1));
  for (const chunk of plan.chunks) {
    let bytes = await source.read(chunk.at, chunk.size);
    for (let f = plan.filters.length - 1; f >= 0; f--) {
      if ((chunk.mask >>> f) & 1) continue;
      const filter = plan.filters[f]!;
      bytes = filter.id === DEFLATE ? await inflate(bytes, chunkBytes) : unshuffle(bytes, filter.values[0] ?? itemSize);
    }
    if (bytes.byteLength < chunkBytes)
      throw new Fault(`a chunk holds ${bytes.byteLength} bytes, ${chunkBytes} expected`);
    // Copy each innermost row of the chunk that lies inside the dataset.
    const extent = dims.map((d, i) => Math.min(d, shape[i]! - chunk.offset[i]!));
    const rowElems = rank === 0 ? 1 : extent[rank - 1]!;
    const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
    for (;;) {
      let src = 0;
      let dst = 0;
      for (let d = 0; d < rank - 1; d++) {
        src += index[d]! * chunkStrides[d]!;
        dst += (chunk.offset[d]! + index[d]!) * strides[d]!;
      }
      if (rank > 0) dst += chunk.offset[rank - 1]!;
      out.set(bytes.subarray(src * itemSize, (src + rowElems) * itemSize), dst * itemSize);
      let d = rank - 2;
      while (d >= 0 && ++index[d]! >= extent[d]!) index[d--] = 0;
      if (d < 0) break;
    }
  }
  return out;
}

async function inflate(bytes: Uint8Array, expected: number): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("deflate"));
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const part of stream as unknown as AsyncIterable<Uint8Array>) {
      total += part.byteLength;
      if (total > expected) throw new Fault(`a chunk inflates to more than its ${expected} bytes`);
      parts.push(part);
    }
  } catch (error) {
    if (error instanceof Fault) throw error;
    throw new Fault(`a chunk's deflate stream is damaged (${error instanceof Error ? error.message : String(error)})`);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function unshuffle(bytes: Uint8Array, size: number): Uint8Array {
  if (size <= 1) return bytes;
  const count = Math.floor(bytes.byteLength / size);
  const out = new Uint8Array(bytes.byteLength);
  for (let b = 0; b < size; b++) for (let i = 0; i < count; i++) out[i * size + b] = bytes[b * count + i]!;
  out.set(bytes.subarray(count * size), count * size);
  return out;
}
