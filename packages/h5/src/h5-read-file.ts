import {
  type HostTensor,
  type NumericDType,
  type RandomAccessSource,
  cannot,
  isPendingTensor,
  hostTensor,
  sizeOf,
  viewAs,
} from "@kerastore/core";
import { H5Error, placeOf } from "./errors.js";
import { FALLBACK, openNativeH5, openNativeH5Source } from "./native/native-read-file.js";
import { H5T, type RawMetadata, type Runtime, getRuntime, scratchName, takeDiagnostics } from "./hdf5-runtime.js";

/** An attribute's value: text (any HDF5 string encoding) or numbers. */
export type AttrValue =
  | { readonly kind: "strings"; readonly scalar: boolean; readonly values: string[] }
  | { readonly kind: "numbers"; readonly scalar: boolean; readonly values: number[] };

/** What sits at an HDF5 path. */
export type ObjectKind = "group" | "dataset" | "other" | "missing";

/**
 * Read access to one open HDF5 file. Every method throws an H5Error naming the file and the
 * object when HDF5 reports a problem, instead of printing and going on.
 */
export interface H5ReadFile {
  /** The file's name, as errors show it. */
  readonly name: string;
  /** The file's size in bytes (bounds what a dataset may claim). */
  readonly byteLength: number;
  kind(path: string): ObjectKind;
  /** The names of a group's members, in HDF5's name order. */
  keys(path: string): string[];
  attrNames(path: string): string[];
  attr(path: string, name: string): AttrValue;
  /** Reads a dataset into a HostTensor, after checking its shape and dtype against the file. */
  dataset(path: string): HostTensor;
}

const MAX_ATTR_BYTES = 64 * 1024 * 1024;
const MAX_STRING_BYTES = 16 * 1024 * 1024;

/**
 * Which HDF5 reader opens a file: `auto` (default) tries the pure TypeScript reader and hands
 * the file to h5wasm when it meets something it does not read (chunked or compressed data,
 * deeply nested fractal heaps or B-trees, unusual types); `native` and `h5wasm` force one.
 */
export type H5ReadBackend = "auto" | "native" | "h5wasm";

/**
 * Opens `bytes` as an HDF5 file, runs `fn` on it and closes it.
 *
 * The native reader returns datasets as views of `bytes`; h5wasm copies them out.
 */
export async function withH5File<T>(
  bytes: Uint8Array,
  name: string,
  fn: (file: H5ReadFile) => T,
  backend: H5ReadBackend = "auto",
  values: "eager" | "lazy" = "eager",
): Promise<T> {
  checkSignature(bytes, name);
  if (backend !== "h5wasm") {
    try {
      return fn(openNativeH5(bytes, name, values));
    } catch (error) {
      if (!(backend === "auto" && error instanceof Error && FALLBACK.has(error))) throw error;
    }
  }
  return withWasmH5File(bytes, name, fn);
}

/** The largest file the h5wasm fallback takes (it needs the whole file in its memory). */
const MAX_FALLBACK_BYTES = 2 ** 31 - 1;

/**
 * Opens an HDF5 file behind a random-access source and runs `fn` on it.
 *
 * The native reader fetches the metadata only; datasets come back as PendingTensors (see
 * `@kerastore/core`) whose `load()` reads their bytes from the source. A file with parts the
 * native reader does not read (chunked or compressed data) is read whole and handed to h5wasm,
 * which copies datasets out eagerly; that fallback refuses files over 2 GiB.
 */
export async function withH5Source<T>(
  source: RandomAccessSource,
  name: string,
  fn: (file: H5ReadFile) => T,
  backend: H5ReadBackend = "auto",
  values: "lazy" | "eager" = "lazy",
): Promise<T> {
  checkSignature(await source.read(0, Math.min(8, source.size)), name);
  if (backend !== "h5wasm") {
    try {
      const opened = await openNativeH5Source(source, name);
      if (values === "lazy") return await opened.run(fn);
      // Eager: a first run over the metadata learns which datasets `fn` reads, they are loaded
      // (each into a buffer of its own), and a second run gets them.
      const asked = new Map<string, HostTensor>();
      await opened.run((file) => fn(withDatasets(file, (path) => remember(asked, path, file.dataset(path)))));
      const loaded = await loadAll(asked);
      return await opened.run((file) => fn(withDatasets(file, (path) => loaded.get(path) ?? file.dataset(path))));
    } catch (error) {
      if (!(backend === "auto" && error instanceof Error && FALLBACK.has(error))) throw error;
    }
  }
  if (source.size > MAX_FALLBACK_BYTES) {
    throw new H5Error(
      "unsupported",
      cannot(
        "read",
        name,
        `it needs the h5wasm reader (chunked or compressed data), which holds the whole file in memory, and it has ${source.size} bytes (at most ${MAX_FALLBACK_BYTES})`,
      ),
      { path: name },
    );
  }
  return withWasmH5File(await source.read(0, source.size), name, fn);
}

function withDatasets(file: H5ReadFile, dataset: (path: string) => HostTensor): H5ReadFile {
  return { ...file, dataset };
}

function remember(into: Map<string, HostTensor>, path: string, tensor: HostTensor): HostTensor {
  into.set(path, tensor);
  return tensor;
}

/** Loads the pending tensors of `tensors`, two reads in flight (one overlaps the other's copy). */
async function loadAll(tensors: ReadonlyMap<string, HostTensor>): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  const jobs = [...tensors];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < jobs.length) {
      const [path, tensor] = jobs[next++]!;
      out.set(path, isPendingTensor(tensor) ? await tensor.load() : tensor);
    }
  };
  await Promise.all([lane(), lane()]);
  return out;
}

/** Opens `bytes` with h5wasm. The bytes are handed to its in-memory file system without a copy. */
async function withWasmH5File<T>(bytes: Uint8Array, name: string, fn: (file: H5ReadFile) => T): Promise<T> {
  const rt = await getRuntime();
  const m = rt.module;
  checkSignature(bytes, name);
  const scratch = scratchName("in");
  rt.diagnostics.length = 0;
  let fileId = -1n;
  try {
    m.FS.writeFile(scratch, bytes, { canOwn: true });
    fileId = guard(rt, name, undefined, "open", () => m.open(scratch, m.H5F_ACC_RDONLY, false, -1, -1));
    if (fileId < 0n) throw new H5Error("not-hdf5", cannot("open", name, "HDF5 could not open it"), { path: name });
    return fn(readFile(rt, fileId, name, bytes.byteLength));
  } finally {
    if (fileId >= 0n && !rt.broken) {
      try {
        m.close_file(fileId);
      } catch {
        // A file HDF5 choked on may fail to close; the scratch copy is dropped below anyway.
      }
    }
    rt.diagnostics.length = 0;
    if (!rt.broken && m.FS.analyzePath(scratch).exists) m.FS.unlink(scratch);
  }
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when `bytes` carry the HDF5 signature at offset 0 (or a user block boundary). */
export function isHdf5(bytes: Uint8Array): boolean {
  for (let at = 0; at + 8 <= bytes.byteLength; at = at === 0 ? 512 : at * 2) {
    if (SIGNATURE.every((b, i) => bytes[at + i] === b)) return true;
    if (at > 1 << 20) break;
  }
  return false;
}

function checkSignature(bytes: Uint8Array, name: string): void {
  if (!isHdf5(bytes)) {
    throw new H5Error("not-hdf5", cannot("open", name, "no HDF5 signature (\\x89HDF\\r\\n\\x1a\\n)"), { path: name });
  }
}

/**
 * Runs one call into the module, turning printed diagnostics, thrown errors and traps into
 * H5Errors about `object` of `file`.
 */
export function guard<T>(rt: Runtime, file: string, object: string | undefined, verb: string, call: () => T): T {
  rt.diagnostics.length = 0;
  let result: T;
  const place = placeOf(file, object);
  try {
    result = call();
  } catch (cause) {
    if (cause instanceof H5Error) throw cause;
    if (isTrap(cause)) {
      rt.broken = true;
      throw new H5Error("runtime", cannot(verb, place, `the HDF5 runtime trapped (${(cause as Error).message})`), {
        path: place,
        cause,
      });
    }
    const why = takeDiagnostics(rt) ?? (cause instanceof Error ? cause.message.split("\n")[0] : String(cause));
    throw new H5Error("hdf5", cannot(verb, place, why ?? "HDF5 failed"), { path: place, cause });
  }
  const printed = takeDiagnostics(rt);
  if (printed !== undefined) throw new H5Error("hdf5", cannot(verb, place, printed), { path: place });
  return result;
}

/** A WebAssembly trap or Emscripten abort (both are `WebAssembly.RuntimeError`). */
function isTrap(error: unknown): boolean {
  return error instanceof Error && error.constructor.name === "RuntimeError";
}

function readFile(rt: Runtime, fileId: bigint, name: string, byteLength: number): H5ReadFile {
  const m = rt.module;
  const kindOf = (path: string): ObjectKind => {
    const t = guard(rt, name, path, "inspect", () => m.get_type(fileId, path));
    if (t < 0) return "missing";
    if (t === m.H5G_GROUP) return "group";
    if (t === m.H5G_DATASET) return "dataset";
    return "other";
  };
  return {
    name,
    byteLength,
    kind: kindOf,
    keys(path) {
      return guard(rt, name, path, "list", () => m.get_names(fileId, path, false));
    },
    attrNames(path) {
      return guard(rt, name, path, "list attributes of", () => m.get_attribute_names(fileId, path));
    },
    attr(path, attrName) {
      return readAttr(rt, fileId, name, path, attrName);
    },
    dataset(path) {
      return readDataset(rt, fileId, name, byteLength, path);
    },
  };
}

function readAttr(rt: Runtime, fileId: bigint, file: string, path: string, attrName: string): AttrValue {
  const m = rt.module;
  const where = `${path === "/" ? "" : path}@${attrName}`;
  const place = placeOf(file, where);
  const meta = guard(rt, file, where, "read", () => m.get_attribute_metadata(fileId, path, attrName));
  const shape = meta.shape ?? [];
  const scalar = meta.shape !== null && shape.length === 0;
  const count = meta.shape === null ? 0 : sizeOf(shape);
  const nbytes = count * meta.size;
  if (!Number.isSafeInteger(nbytes) || nbytes > MAX_ATTR_BYTES) {
    throw new H5Error("corrupt", cannot("read", place, `it declares ${nbytes} bytes`), { path: place });
  }
  if (count === 0) {
    return meta.type === H5T.STRING ? { kind: "strings", scalar, values: [] } : { kind: "numbers", scalar, values: [] };
  }
  const ptr = m._malloc(Math.max(nbytes, 1));
  if (ptr === 0) throw new H5Error("runtime", cannot("read", place, "out of memory"), { path: place });
  try {
    guard(rt, file, where, "read", () => m.get_attribute_data(fileId, path, attrName, BigInt(ptr)));
    const raw = m.HEAPU8.slice(ptr, ptr + nbytes);
    if (meta.type === H5T.STRING) {
      const values = meta.vlen ? readVlenStrings(rt, ptr, count, place) : readFixedStrings(raw, meta, count);
      if (meta.vlen)
        guard(rt, file, where, "release", () => m.reclaim_vlen_memory(fileId, path, attrName, BigInt(ptr)));
      return { kind: "strings", scalar, values };
    }
    if (meta.type === H5T.INTEGER || meta.type === H5T.FLOAT) {
      const data = viewAs(numericDType(meta, place), raw);
      return { kind: "numbers", scalar, values: Array.from(data as ArrayLike<number | bigint>, Number) };
    }
    throw new H5Error("unsupported", cannot("read", place, `HDF5 type class ${meta.type} is not text or numbers`), {
      path: place,
    });
  } finally {
    m._free(ptr);
  }
}

const utf8 = new TextDecoder("utf-8");

function readVlenStrings(rt: Runtime, ptr: number, count: number, place: string): string[] {
  const heap = rt.module.HEAPU8;
  const pointers = new Uint32Array(heap.buffer.slice(ptr, ptr + count * 4));
  const out: string[] = [];
  for (const p of pointers) {
    if (p === 0) {
      out.push("");
      continue;
    }
    let end = p;
    const limit = Math.min(heap.byteLength, p + MAX_STRING_BYTES);
    while (end < limit && heap[end] !== 0) end++;
    if (end === limit) throw new H5Error("corrupt", cannot("read", place, "a string has no end"), { path: place });
    out.push(utf8.decode(heap.subarray(p, end)));
  }
  return out;
}

/** Fixed-length strings: NULLTERM and NULLPAD end at the first NUL, SPACEPAD drops trailing spaces. */
function readFixedStrings(raw: Uint8Array, meta: RawMetadata, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const cell = raw.subarray(i * meta.size, (i + 1) * meta.size);
    let end = cell.indexOf(0);
    if (end < 0) end = cell.length;
    if (meta.strpad === 2) while (end > 0 && cell[end - 1] === 0x20) end--;
    out.push(utf8.decode(cell.subarray(0, end)));
  }
  return out;
}

/** The Kerastore dtype of an HDF5 numeric type; opaque 2-byte values are Keras 3's bfloat16. */
function numericDType(meta: RawMetadata, place: string): NumericDType {
  const { type, size } = meta;
  if (type === H5T.INTEGER) {
    const table: Record<number, [NumericDType, NumericDType]> = {
      1: ["int8", "uint8"],
      2: ["int16", "uint16"],
      4: ["int32", "uint32"],
      8: ["int64", "uint64"],
    };
    const pair = table[size];
    if (pair) return meta.signed ? pair[0] : pair[1];
  } else if (type === H5T.FLOAT) {
    if (size === 2) return "float16";
    if (size === 4) return "float32";
    if (size === 8) return "float64";
  } else if (type === H5T.ENUM && size === 1) {
    return "bool";
  } else if (type === H5T.OPAQUE && size === 2) {
    return "bfloat16";
  }
  throw new H5Error(
    "unsupported",
    cannot("read", place, `HDF5 type class ${type} of ${size} bytes is not a Keras weight dtype`),
    {
      path: place,
    },
  );
}

function readDataset(rt: Runtime, fileId: bigint, file: string, fileBytes: number, path: string): HostTensor {
  const m = rt.module;
  const place = placeOf(file, path);
  const meta = guard(rt, file, path, "read", () => m.get_dataset_metadata(fileId, path));
  const dtype = numericDType(meta, place);
  const shape = meta.shape ?? [];
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new H5Error("corrupt", cannot("read", place, `bad shape [${shape.join(", ")}]`), { path: place });
    }
  }
  const count = meta.shape === null ? 0 : sizeOf(shape);
  const nbytes = count * meta.size;
  // Keras writes contiguous, unfiltered datasets: their bytes must fit in the file. A filtered
  // (compressed) dataset may expand, but not without bound.
  const filtered =
    meta.chunks !== null && guard(rt, file, path, "read", () => m.get_dataset_filters(fileId, path)).length > 0;
  const limit = filtered ? Math.min(fileBytes * 1024, m.MAXIMUM_MEMORY / 2) : fileBytes;
  if (!Number.isSafeInteger(nbytes) || nbytes > limit) {
    throw new H5Error(
      "corrupt",
      cannot(
        "read",
        place,
        `shape [${shape.join(", ")}] of ${dtype} needs ${nbytes} bytes but the file has ${fileBytes}`,
      ),
      { path: place },
    );
  }
  if (count === 0) return hostTensor(dtype, shape, viewAs(dtype, new Uint8Array(0)));
  const ptr = m._malloc(nbytes);
  if (ptr === 0)
    throw new H5Error("runtime", cannot("read", place, `cannot allocate ${nbytes} bytes`), { path: place });
  try {
    const status = guard(rt, file, path, "read", () => m.get_dataset_data(fileId, path, null, null, null, BigInt(ptr)));
    if (status < 0) throw new H5Error("hdf5", cannot("read", place, "HDF5 could not read the data"), { path: place });
    return hostTensor(dtype, shape, viewAs(dtype, m.HEAPU8.slice(ptr, ptr + nbytes)));
  } finally {
    m._free(ptr);
  }
}
