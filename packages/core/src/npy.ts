import { type NumericDType, itemSize, viewAs } from "./dtype.js";
import { CoreError, cannot } from "./errors.js";
import { type NumericHostTensor, assertShape, sizeOf } from "./tensor.js";

/**
 * Reading and writing NumPy `.npy` files (format versions 1.0, 2.0 and 3.0).
 *
 * Numeric and bool arrays in C order, either byte order. Object arrays (pickles) are refused:
 * they would run code.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR_TO_DTYPE: Readonly<Record<string, NumericDType>> = {
  b1: "bool",
  i1: "int8",
  i2: "int16",
  i4: "int32",
  i8: "int64",
  u1: "uint8",
  u2: "uint16",
  u4: "uint32",
  u8: "uint64",
  f2: "float16",
  f4: "float32",
  f8: "float64",
  c8: "complex64",
  c16: "complex128",
};

const DTYPE_TO_DESCR: Readonly<Partial<Record<NumericDType, string>>> = {
  bool: "|b1",
  int8: "|i1",
  uint8: "|u1",
  int16: "<i2",
  int32: "<i4",
  int64: "<i8",
  uint16: "<u2",
  uint32: "<u4",
  uint64: "<u8",
  float16: "<f2",
  float32: "<f4",
  float64: "<f8",
  complex64: "<c8",
  complex128: "<c16",
};

/** The longest header accepted; NumPy itself caps headers at 10,000 bytes by default. */
const MAX_HEADER = 1 << 20;

/**
 * Parses a `.npy` file. `name` is used in error messages.
 */
export function readNpy(bytes: Uint8Array, name = "the .npy file"): NumericHostTensor {
  const fail = (reason: string): never => {
    throw new CoreError("invalid-npy", cannot("read", name, reason), { path: name });
  };
  if (bytes.byteLength < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    fail("it does not start with the .npy magic \\x93NUMPY");
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.byteLength < 12) fail("the header is truncated");
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported format version ${major}.${bytes[7]}`);
  }
  if (headerLength > MAX_HEADER || headerStart + headerLength > bytes.byteLength)
    fail("the header length runs past the file");
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(
    bytes.subarray(headerStart, headerStart + headerLength),
  );
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return fail(`the header is not a NumPy header dict: ${JSON.stringify(header.slice(0, 120))}`);
  }
  if (fortran === "True") fail("Fortran-ordered arrays are not supported; save with np.ascontiguousarray");
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => (/^\d+$/.test(s) ? Number(s) : fail(`bad dimension "${s}" in the shape`)));
  try {
    assertShape(shape, name);
  } catch {
    fail(`bad shape (${shapeText})`);
  }
  const order = descr[0];
  const dtype = DESCR_TO_DTYPE[descr.slice(1)];
  if (dtype === undefined || (order !== "<" && order !== ">" && order !== "|" && order !== "=")) {
    return fail(`unsupported dtype "${descr}" (numeric and bool arrays only)`);
  }
  const dataStart = headerStart + headerLength;
  const expected = sizeOf(shape) * itemSize(dtype);
  if (bytes.byteLength - dataStart !== expected) {
    fail(`the header promises ${expected} data bytes but the file holds ${bytes.byteLength - dataStart}`);
  }
  let data = bytes.subarray(dataStart, dataStart + expected);
  if (order === ">") data = swapBytes(data, itemSize(dtype) / (dtype.startsWith("complex") ? 2 : 1));
  return { dtype, shape, data: viewAs(dtype, data) } as NumericHostTensor;
}

/** Serializes a numeric HostTensor as a version 1.0 `.npy` file (2.0 if the header needs it). */
export function writeNpy(tensor: NumericHostTensor): Uint8Array {
  const descr = DTYPE_TO_DESCR[tensor.dtype];
  if (descr === undefined) {
    throw new CoreError("unsupported", cannot("write", `a ${tensor.dtype} tensor as .npy`, "NumPy has no such dtype"));
  }
  const shape = tensor.shape.length === 1 ? `(${tensor.shape[0]},)` : `(${tensor.shape.join(", ")})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  let prefix = 10;
  let total = prefix + dict.length + 1;
  let version = 1;
  if (Math.ceil(total / 64) * 64 - prefix > 0xffff) {
    version = 2;
    prefix = 12;
    total = prefix + dict.length + 1;
  }
  const padded = Math.ceil(total / 64) * 64;
  const header = dict + " ".repeat(padded - total) + "\n";
  const data = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const out = new Uint8Array(prefix + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.set(data, prefix + header.length);
  return out;
}

function swapBytes(data: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(data.byteLength);
  for (let i = 0; i < data.byteLength; i += width) {
    for (let j = 0; j < width; j++) out[i + j] = data[i + width - 1 - j]!;
  }
  return out;
}
