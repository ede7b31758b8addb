import { type HostTensor, bytesOf, cannot } from "@kerastore/core";
import { H5Error, placeOf } from "./errors.js";
import { H5T, type Runtime, type WriteMetadata, getRuntime, scratchName } from "./hdf5-runtime.js";
import { guard } from "./h5-read-file.js";

/**
 * Write access to a new HDF5 file, with the attribute flavours h5py 3 produces.
 * Paths are absolute; parent groups must exist (h5py makes them for `a/b` names, we say so).
 */
export interface H5WriteFile {
  group(path: string): void;
  /** A scalar variable-length string (h5py: `str` → UTF-8, `bytes` → ASCII). */
  scalarString(path: string, name: string, value: string, cset: "utf8" | "ascii"): void;
  /** A 1-D array of variable-length ASCII strings (h5py: a list of `bytes`). */
  stringList(path: string, name: string, values: readonly string[]): void;
  /** A 1-D array of fixed-length strings of `size` bytes (h5py: a numpy `S<size>` array). */
  fixedStringList(path: string, name: string, values: readonly string[], size: number): void;
  /** An empty 1-D float64 attribute (h5py: `np.asarray([])`, Keras's empty `weight_names`). */
  emptyList(path: string, name: string): void;
  /** A contiguous dataset holding `tensor`. */
  dataset(path: string, tensor: HostTensor): void;
}

/** Builds a new HDF5 file in memory with `fn` and returns its bytes. */
export async function buildH5File(name: string, fn: (file: H5WriteFile) => void, sizeHint = 0): Promise<Uint8Array> {
  const rt = await getRuntime();
  const m = rt.module;
  const scratch = scratchName("out");
  let fileId = -1n;
  try {
    fileId = guard(rt, name, undefined, "create", () => m.open(scratch, m.H5F_ACC_TRUNC, false, -1, -1));
    if (fileId < 0n) throw new H5Error("hdf5", cannot("create", name, "HDF5 could not create it"), { path: name });
    // The in-memory file system grows a file by 12.5% at a time, copying it each time; giving
    // it the expected size up front makes a large write one pass instead of dozens of copies.
    const fresh = m.FS.lookupPath(scratch).node;
    if (sizeHint > 0 && fresh.usedBytes === 0) fresh.contents = new Uint8Array(sizeHint);
    fn(writeFile(rt, fileId, name));
    const id = fileId;
    fileId = -1n;
    guard(rt, name, undefined, "close", () => m.close_file(id));
    // Take the in-memory file's buffer as it is instead of copying it out with readFile.
    const node = m.FS.lookupPath(scratch).node;
    const bytes = node.contents === null ? new Uint8Array(0) : node.contents.subarray(0, node.usedBytes);
    return bytes;
  } finally {
    if (fileId >= 0n && !rt.broken) {
      try {
        m.close_file(fileId);
      } catch {
        // Already failing; the scratch file is removed below.
      }
    }
    if (!rt.broken && m.FS.analyzePath(scratch).exists) m.FS.unlink(scratch);
  }
}

function meta(type: number, size: number, shape: readonly number[], extra: Partial<WriteMetadata> = {}): WriteMetadata {
  const dims = shape.map(BigInt);
  return {
    type,
    size,
    signed: false,
    vlen: false,
    littleEndian: true,
    shape: dims,
    maxshape: dims,
    chunks: null,
    ...extra,
  };
}

function writeFile(rt: Runtime, fileId: bigint, file: string): H5WriteFile {
  const m = rt.module;
  const withBytes = (bytes: Uint8Array, fn: (ptr: number) => number, where: string): void => {
    const ptr = m._malloc(Math.max(bytes.byteLength, 1));
    if (ptr === 0) {
      const place = placeOf(file, where);
      throw new H5Error("runtime", cannot("write", place, `cannot allocate ${bytes.byteLength} bytes`), {
        path: place,
      });
    }
    try {
      m.HEAPU8.set(bytes, ptr);
      const status = guard(rt, file, where, "write", () => fn(ptr));
      if (status < 0) {
        const place = placeOf(file, where);
        throw new H5Error("hdf5", cannot("write", place, "HDF5 refused it"), { path: place });
      }
    } finally {
      m._free(ptr);
    }
  };
  return {
    group(path) {
      const status = guard(rt, file, path, "create group", () => m.create_group(fileId, path, false));
      if (status < 0) throw new H5Error("hdf5", cannot("create group", placeOf(file, path), "HDF5 refused it"));
    },
    scalarString(path, name, value, cset) {
      const md = meta(H5T.STRING, 4, [], { vlen: true, cset: cset === "utf8" ? 1 : 0 });
      guard(rt, file, `${path}@${name}`, "write", () => m.create_vlen_str_attribute(fileId, path, name, [value], md));
    },
    stringList(path, name, values) {
      const md = meta(H5T.STRING, 4, [values.length], { vlen: true, cset: 0 });
      guard(rt, file, `${path}@${name}`, "write", () =>
        m.create_vlen_str_attribute(fileId, path, name, [...values], md),
      );
    },
    fixedStringList(path, name, values, size) {
      const encoder = new TextEncoder();
      const bytes = new Uint8Array(values.length * size);
      for (const [i, v] of values.entries()) bytes.set(encoder.encode(v).subarray(0, size), i * size);
      const md = meta(H5T.STRING, size, [values.length], { cset: 0 });
      withBytes(bytes, (ptr) => m.create_attribute(fileId, path, name, BigInt(ptr), md), `${path}@${name}`);
    },
    emptyList(path, name) {
      const md = meta(H5T.FLOAT, 8, [0]);
      withBytes(new Uint8Array(0), (ptr) => m.create_attribute(fileId, path, name, BigInt(ptr), md), `${path}@${name}`);
    },
    dataset(path, tensor) {
      const place = placeOf(file, path);
      const md = datasetMeta(tensor, place);
      withBytes(bytesOf(tensor.data as never), (ptr) => m.create_dataset(fileId, path, BigInt(ptr), md), path);
    },
  };
}

function datasetMeta(tensor: HostTensor, place: string): WriteMetadata {
  switch (tensor.dtype) {
    case "float32":
      return meta(H5T.FLOAT, 4, tensor.shape);
    case "float64":
      return meta(H5T.FLOAT, 8, tensor.shape);
    case "int8":
    case "int16":
    case "int32":
    case "int64":
      return meta(H5T.INTEGER, tensor.data.BYTES_PER_ELEMENT, tensor.shape, { signed: true });
    case "uint8":
    case "uint16":
    case "uint32":
    case "uint64":
      return meta(H5T.INTEGER, tensor.data.BYTES_PER_ELEMENT, tensor.shape);
    default:
      // h5wasm 0.10.3 creates only integer, 32/64-bit float and string types: float16
      // (IEEE half), bfloat16 (Keras writes opaque 2-byte) and bool (an h5py enum) need
      // datatypes its writer cannot make.
      throw new H5Error(
        "unsupported",
        cannot(
          "write",
          place,
          `${tensor.dtype} datasets are not supported by the h5wasm writer`,
          "cast the weight to float32",
        ),
        { path: place },
      );
  }
}
