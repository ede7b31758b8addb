import {
  type HostTensor,
  type NumericDType,
  type RandomAccessSource,
  cannot,
  hostTensor,
  pendingTensor,
  sizeOf,
  viewAs,
} from "@kerastore/core";
import { H5Error, placeOf } from "../errors.js";
import type { AttrValue, H5ReadFile, ObjectKind } from "../h5-read-file.js";
import { type AttributeIn, GlobalHeapIn, attributeName, decodeAttribute } from "./attribute-in.js";
import { BodyIn, BytesIn, Fault, UNDEF, Unsupported } from "./bytes-in.js";
import { type ChunkPlan, planChunks, readChunked } from "./chunked-in.js";
import { readDenseMessages } from "./dense-in.js";
import { isGroup, readLinks } from "./group-in.js";
import { typeSize } from "./h5-type.js";
import { type MessageIn, readObjectHeader } from "./object-header-in.js";
import { MSG } from "./object-header.js";
import { NeedBytes, PagedBytesIn, whenFetched } from "./paged-bytes-in.js";
import { readSuperblock } from "./superblock.js";
import { decodeDataspace, decodeType } from "./type-in.js";

/** Errors that mean "this reader does not handle the file; h5wasm may". */
export const FALLBACK = new WeakSet<Error>();

const MAX_ATTR_BYTES = 64 * 1024 * 1024;
const decoder = new TextDecoder("utf-8");

/**
 * Opens `bytes` with the pure TypeScript reader. Datasets come back as views of `bytes`
 * (copied only when their offset is not a multiple of the element size).
 */
export function openNativeH5(bytes: Uint8Array, name: string, values: "eager" | "lazy" = "eager"): H5ReadFile {
  const file = new BytesIn(bytes);
  const root = guarded(name, undefined, "open", () => readSuperblock(file).root);
  const parts = fileParts(file, root);
  return readFileOver(parts, name, bytes.byteLength, (path, messages) => {
    const placed = placeDataset(file, messages);
    // Lazy: a dataset stored in one piece is viewed (or copied, when unaligned) only when loaded,
    // so datasets nobody loads (an optimizer's, for a conversion) cost nothing.
    if (values === "lazy" && placed.chunks === undefined && placed.at !== undefined) {
      return pendingTensor(placed.dtype, placed.shape, placed.nbytes, placeOf(name, path), async () =>
        guarded(name, path, "read", () =>
          hostTensor(placed.dtype, placed.shape, viewAs(placed.dtype, bytesOfPlacement(file, placed))),
        ),
      );
    }
    return hostTensor(placed.dtype, placed.shape, viewAs(placed.dtype, bytesOfPlacement(file, placed)));
  });
}

/**
 * Opens an HDF5 file behind a random-access source: reads every group, attribute and dataset
 * header first (by 64 KiB blocks, only where they are), then gives datasets as PendingTensors
 * whose `load()` reads their bytes straight from the source into a buffer of their own.
 *
 * `fetched()` tells how many bytes the metadata took.
 */
export async function openNativeH5Source(source: RandomAccessSource, name: string): Promise<SourceH5File> {
  // A source that reads synchronously (SyncReadableSource) is read as the parse asks, with no
  // crawl first: only the blocks of what the reader walks are read.
  const readSync = (source as SyncReadableSource).readSync?.bind(source);
  const file = new PagedBytesIn(source, readSync);
  const root = await whenFetched(file, () => guarded(name, undefined, "open", () => readSuperblock(file).root));
  const parts = fileParts(file, root);
  if (readSync === undefined) await crawl(file, parts, name);
  const api = readFileOver(parts, name, source.size, (path, messages) => {
    const placed = placeDataset(file, messages);
    const where = placeOf(name, path);
    if (placed.chunks !== undefined) {
      const plan = placed.chunks;
      return pendingTensor(placed.dtype, placed.shape, placed.nbytes, where, async () => {
        const bytes = await guardedAsync(name, path, () => readChunked(source, plan, placed.shape, placed.nbytes));
        return hostTensor(placed.dtype, placed.shape, viewAs(placed.dtype, bytes));
      });
    }
    if (placed.at === undefined) {
      return hostTensor(placed.dtype, placed.shape, viewAs(placed.dtype, bytesOfPlacement(file, placed)));
    }
    const at = placed.at;
    // Contiguous and unfiltered, in the file as in memory (this reader reads little-endian only):
    // a source that copies synchronously into a caller's buffer lets a writer copy the bytes
    // through a buffer it reuses.
    const readSyncInto = (source as SyncReadableSource).readSyncInto?.bind(source);
    return pendingTensor(
      placed.dtype,
      placed.shape,
      placed.nbytes,
      where,
      async () => {
        const bytes = await source.read(at, placed.nbytes);
        return hostTensor(placed.dtype, placed.shape, viewAs(placed.dtype, bytes));
      },
      readSyncInto === undefined ? undefined : (target, start) => readSyncInto(at + start, target),
    );
  });
  return { file: api, fetched: () => file.fetched, run: (fn) => whenFetched(file, () => fn(api)) };
}

/**
 * A random-access source that can also read synchronously (a file held open on the local disk):
 * `readKerasH5` then reads the metadata blocks as the parse asks for them, and only those.
 */
export interface SyncReadableSource extends RandomAccessSource {
  readSync(offset: number, length: number): Uint8Array;
  /**
   * Reads `target.byteLength` bytes at `offset` into `target`, now (a typed error naming the file
   * where it ends first). Where present, the datasets stored in one piece are PendingTensors
   * with `readBytesInto`.
   */
  readSyncInto?(offset: number, target: Uint8Array): void;
}

/** An HDF5 file open over a source. */
export interface SourceH5File {
  readonly file: H5ReadFile;
  /** Metadata bytes fetched so far. */
  fetched(): number;
  /** Runs a synchronous reader over the file, fetching any block it still needs. */
  run<T>(fn: (file: H5ReadFile) => T): Promise<T>;
}

/** The parsed, cached structures of one open file. */
interface FileParts {
  readonly file: BytesIn;
  readonly root: number;
  readonly heap: GlobalHeapIn;
  header(address: number): MessageIn[];
  linksOf(address: number): Map<string, number>;
  attributesAt(address: number): MessageIn[];
  resolve(path: string): number | undefined;
}

function fileParts(file: BytesIn, root: number): FileParts {
  const headers = new Map<number, MessageIn[]>();
  const links = new Map<number, Map<string, number>>();
  const heap = new GlobalHeapIn(file);
  const header = (address: number): MessageIn[] => {
    let messages = headers.get(address);
    if (messages === undefined) {
      messages = readObjectHeader(file, address);
      headers.set(address, messages);
    }
    return messages;
  };
  const linksOf = (address: number): Map<string, number> => {
    let out = links.get(address);
    if (out === undefined) {
      out = readLinks(file, header(address));
      links.set(address, out);
    }
    return out;
  };
  /** The object header address at `path`, or undefined when a part is missing. */
  const resolve = (path: string): number | undefined => {
    let at = root;
    for (const part of path.split("/")) {
      if (part === "" || part === ".") continue;
      if (!isGroup(header(at))) return undefined;
      const next = linksOf(at).get(part);
      if (next === undefined) return undefined;
      at = next;
    }
    return at;
  };
  const attributesAt = (address: number): MessageIn[] => {
    const messages = header(address);
    const info = messages.find((m) => m.type === MSG.attributeInfo);
    if (info !== undefined) {
      const body = new BodyIn(info.body, "attribute info message");
      body.u8();
      if (body.u8() & 1) body.skip(2);
      const heapAt = body.u64();
      const names = body.u64();
      if (heapAt !== UNDEF) {
        const dense = readDenseMessages(file, heapAt + file.base, names + file.base, 8);
        return dense.map((bytes) => ({ type: MSG.attribute, flags: 0, body: bytes }));
      }
    }
    return messages.filter((m) => m.type === MSG.attribute);
  };
  return { file, root, heap, header, linksOf, attributesAt, resolve };
}

/** The H5ReadFile interface over parsed parts; `dataset` decides how values arrive. */
function readFileOver(
  parts: FileParts,
  name: string,
  byteLength: number,
  dataset: (path: string, messages: readonly MessageIn[]) => HostTensor,
): H5ReadFile {
  const { header, linksOf, resolve, heap } = parts;
  const mustResolve = (path: string): number => {
    const at = resolve(path);
    if (at === undefined) throw new Fault("no such object");
    return at;
  };
  const attributes = (path: string): MessageIn[] => parts.attributesAt(mustResolve(path));
  return {
    name,
    byteLength,
    kind: (path) =>
      guarded(name, path, "inspect", (): ObjectKind => {
        const at = resolve(path);
        if (at === undefined) return "missing";
        const messages = header(at);
        if (isGroup(messages)) return "group";
        return messages.some((m) => m.type === MSG.layout) ? "dataset" : "other";
      }),
    keys: (path) =>
      guarded(name, path, "list", () => {
        const at = mustResolve(path);
        if (!isGroup(header(at))) throw new Fault("not a group");
        return [...linksOf(at).keys()].sort(byUtf8);
      }),
    attrNames: (path) =>
      guarded(name, path, "list attributes of", () => attributes(path).map((m) => attributeName(m.body))),
    attr: (path, attrName) => {
      const where = `${path === "/" ? "" : path}@${attrName}`;
      return guarded(name, where, "read", () => {
        const message = attributes(path).find((m) => attributeName(m.body) === attrName);
        if (message === undefined) throw new Fault("no such attribute");
        return attrValue(decodeAttribute(message.body), heap);
      });
    },
    dataset: (path) => guarded(name, path, "read", () => dataset(path, header(mustResolve(path)))),
  };
}

/** Most objects a file may hold (the crawl refuses more: a cycle of links, or a bomb). */
const MAX_OBJECTS = 4_000_000;

/**
 * Reads every object header, link table and attribute (with its heap strings) reachable from
 * the root, fetching blocks as the parse asks: after it, the synchronous readers run without
 * a fetch. Dataset data is not read.
 */
async function crawl(file: PagedBytesIn, parts: FileParts, name: string): Promise<void> {
  const seen = new Set<number>([parts.root]);
  const queue = [{ at: parts.root, path: "/" }];
  for (let i = 0; i < queue.length; i++) {
    const { at, path } = queue[i]!;
    // A part that does not parse is left for the reader to report when (if) it reads it.
    const step = <T>(fn: () => T): Promise<T | undefined> =>
      whenFetched(file, fn).catch((error: unknown) => {
        if (error instanceof Fault || error instanceof Unsupported || error instanceof H5Error) return undefined;
        throw error;
      });
    const messages = await step(() => parts.header(at));
    if (messages === undefined) continue;
    for (const message of (await step(() => parts.attributesAt(at))) ?? []) {
      await step(() => attrValue(decodeAttribute(message.body), parts.heap));
    }
    if (!isGroup(messages)) continue;
    const links = (await step(() => parts.linksOf(at))) ?? new Map<string, number>();
    for (const [child, address] of links) {
      if (seen.has(address)) continue;
      seen.add(address);
      if (seen.size > MAX_OBJECTS)
        throw new H5Error("corrupt", cannot("read", name, `it holds more than ${MAX_OBJECTS} objects`), { path: name });
      queue.push({ at: address, path: path === "/" ? `/${child}` : `${path}/${child}` });
    }
  }
}

/** `guarded` for a read that awaits (a chunk's inflate). */
async function guardedAsync<T>(file: string, object: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    return guarded(file, object, "read", () => {
      throw cause;
    });
  }
}

/** Runs `fn`, turning Faults into `corrupt` errors and Unsupported into fallback errors. */
function guarded<T>(file: string, object: string | undefined, verb: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof H5Error || cause instanceof NeedBytes) throw cause;
    const place = placeOf(file, object);
    if (cause instanceof Fault)
      throw new H5Error("corrupt", cannot(verb, place, cause.message), { path: place, cause });
    const why = cause instanceof Unsupported ? cause.message : `the native reader failed (${String(cause)})`;
    const error = new H5Error("unsupported", cannot(verb, place, `${why} is not read natively`), {
      path: place,
      cause,
    });
    FALLBACK.add(error);
    throw error;
  }
}

const encoder = new TextEncoder();
function byUtf8(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function countOf(shape: number[] | null): number {
  if (shape === null) return 0;
  const count = sizeOf(shape);
  if (!Number.isSafeInteger(count)) throw new Fault(`shape [${shape.join(", ")}] is too large`);
  return count;
}

function attrValue(attr: AttributeIn, heap: GlobalHeapIn): AttrValue {
  const { type, shape } = attr;
  const scalar = shape !== null && shape.length === 0;
  const count = countOf(shape);
  const nbytes = count * typeSize(type);
  if (nbytes > MAX_ATTR_BYTES) throw new Fault(`it declares ${nbytes} bytes`);
  if (nbytes > attr.data.length) throw new Fault(`it declares ${nbytes} bytes but holds ${attr.data.length}`);
  const values: string[] = [];
  if (type.kind === "vlen-string") {
    for (let i = 0; i < count; i++) values.push(heap.string(attr.data.subarray(i * 16, i * 16 + 16)));
    return { kind: "strings", scalar, values };
  }
  if (type.kind === "fixed-string") {
    for (let i = 0; i < count; i++) {
      const cell = attr.data.subarray(i * type.size, (i + 1) * type.size);
      let end = cell.indexOf(0);
      if (end < 0) end = cell.length;
      if (type.pad === "spacepad") while (end > 0 && cell[end - 1] === 0x20) end--;
      values.push(decoder.decode(cell.subarray(0, end)));
    }
    return { kind: "strings", scalar, values };
  }
  if (type.dtype === "bool" || type.dtype === "bfloat16") throw new Unsupported(`a ${type.dtype} attribute`);
  const data = viewAs(type.dtype, attr.data.slice(0, nbytes));
  return { kind: "numbers", scalar, values: Array.from(data as ArrayLike<number | bigint>, Number) };
}

/** Where a dataset's values are: in its header (compact), at a file offset, or nowhere yet (zeros). */
interface Placement {
  readonly dtype: NumericDType;
  readonly shape: number[];
  readonly nbytes: number;
  /** The absolute file offset of contiguous data. */
  readonly at?: number;
  /** Compact data, from the layout message. */
  readonly inline?: Uint8Array;
  /** Chunked data: where each chunk is (read from a source only, see openNativeH5Source). */
  readonly chunks?: ChunkPlan;
}

function bytesOfPlacement(file: BytesIn, placed: Placement): Uint8Array {
  // Chunks may need inflating, which is asynchronous: only the source reader reads them.
  if (placed.chunks !== undefined) throw new Unsupported("chunked data");
  if (placed.inline !== undefined) return placed.inline.slice(0, placed.nbytes);
  if (placed.at === undefined) return new Uint8Array(placed.nbytes);
  return file.slice(placed.at, placed.nbytes, "the dataset's data");
}

function placeDataset(file: BytesIn, messages: readonly MessageIn[]): Placement {
  const find = (type: number, what: string): MessageIn => {
    const m = messages.find((x) => x.type === type);
    if (m === undefined) throw new Fault(`the dataset has no ${what} message`);
    return m;
  };
  const typeMessage = find(MSG.datatype, "datatype");
  if (typeMessage.flags & 0x02) throw new Unsupported("a committed (shared) datatype");
  const type = decodeType(typeMessage.body);
  if (type.kind !== "number") throw new Unsupported("a string dataset");
  const shape = decodeDataspace(find(MSG.dataspace, "dataspace").body);
  const filters = messages.find((m) => m.type === MSG.filters);
  const filtered = filters !== undefined && filters.body.length > 1 && filters.body[1] !== 0;
  const count = countOf(shape);
  const dims = shape ?? [];
  const nbytes = count * typeSize(type);
  if (!Number.isSafeInteger(nbytes) || nbytes > file.length) {
    throw new Fault(
      `shape [${dims.join(", ")}] of ${type.dtype} needs ${nbytes} bytes but the file has ${file.length}`,
    );
  }
  const layout = new BodyIn(find(MSG.layout, "layout").body, "layout message");
  const version = layout.u8();
  if (version !== 3 && version !== 4) throw new Unsupported(`layout message version ${version}`);
  const cls = layout.u8();
  const dtype = type.dtype;
  if (cls === 2)
    return {
      dtype,
      shape: dims,
      nbytes,
      chunks: planChunks(file, layout, version, dims, typeSize(type), filtered ? filters.body : undefined),
    };
  if (filtered) throw new Unsupported("filtered data");
  if (cls === 0) {
    const size = layout.u16();
    if (size < nbytes) throw new Fault(`compact data holds ${size} bytes, the shape needs ${nbytes}`);
    return { dtype, shape: dims, nbytes, inline: layout.bytes(size) };
  }
  if (cls === 1) {
    const address = layout.u64();
    const size = layout.u64();
    if (address === UNDEF) {
      if (messages.some((m) => m.type === MSG.fill && m.body[0] === 3 && (m.body[1]! & 0x20) !== 0)) {
        throw new Unsupported("unwritten data with a fill value");
      }
      return { dtype, shape: dims, nbytes };
    }
    if (size < nbytes) throw new Fault(`contiguous data holds ${size} bytes, the shape needs ${nbytes}`);
    // Checked here, before any read: a lying address is an error, not a fetch past the end.
    file.check(address + file.base, nbytes, "the dataset's data");
    return { dtype, shape: dims, nbytes, at: address + file.base };
  }
  throw new Unsupported(`layout class ${cls}`);
}
