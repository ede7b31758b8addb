import { cannot } from "@kerastore/core";
import { H5Error, placeOf } from "./errors.js";
import type { H5ReadFile } from "./h5-read-file.js";
import type { H5WriteFile } from "./h5-write-file.js";

/** Keras 2's `HDF5_OBJECT_HEADER_LIMIT`: past this many bytes a name list is split. */
export const HEADER_LIMIT = 64512;

const MAX_CHUNKS = 100_000;

/**
 * Reads a Keras name list: `<name>` if present, else `<name>0`, `<name>1`, ... concatenated.
 * Returns undefined when neither exists. A weightless layer's list is an empty float64 array.
 */
export function readNameList(file: H5ReadFile, path: string, name: string): string[] | undefined {
  const names = new Set(file.attrNames(path));
  if (names.has(name)) return nameValues(file, path, name);
  if (!names.has(`${name}0`)) return undefined;
  const out: string[] = [];
  for (let i = 0; names.has(`${name}${i}`) && i < MAX_CHUNKS; i++) out.push(...nameValues(file, path, `${name}${i}`));
  return out;
}

function nameValues(file: H5ReadFile, path: string, name: string): string[] {
  const value = file.attr(path, name);
  if (value.kind === "strings") return value.values;
  if (value.values.length === 0) return [];
  const place = placeOf(file.name, `${path}@${name}`);
  throw new H5Error("corrupt", cannot("read", place, "expected a list of names, found numbers"), { path: place });
}

/** Reads a scalar text attribute, or undefined when absent. */
export function readText(file: H5ReadFile, path: string, name: string): string | undefined {
  if (!file.attrNames(path).includes(name)) return undefined;
  const value = file.attr(path, name);
  const place = placeOf(file.name, `${path}@${name}`);
  if (value.kind !== "strings" || value.values.length !== 1) {
    throw new H5Error("corrupt", cannot("read", place, "expected one string"), { path: place });
  }
  return value.values[0]!;
}

/**
 * Writes a Keras name list as Keras does: a vlen ASCII list when it fits in one object header,
 * else `<name>0..N`, numpy `S<maxlen>` chunks cut as `np.array_split` cuts them. An empty list
 * is an empty float64 array.
 */
export function writeNameList(file: H5WriteFile, path: string, name: string, values: readonly string[]): void {
  if (values.length === 0) {
    file.emptyList(path, name);
    return;
  }
  const encoder = new TextEncoder();
  const itemSize = Math.max(1, ...values.map((v) => encoder.encode(v).byteLength));
  if (itemSize > HEADER_LIMIT) {
    const place = `${path}@${name}`;
    throw new H5Error(
      "invalid-tree",
      cannot("write", place, `a name is ${itemSize} bytes, more than the ${HEADER_LIMIT} an HDF5 object header holds`),
      { path: place },
    );
  }
  if (values.length * itemSize <= HEADER_LIMIT) {
    file.stringList(path, name, values);
    return;
  }
  let parts = 1;
  while (Math.ceil(values.length / parts) * itemSize > HEADER_LIMIT) parts++;
  const base = Math.floor(values.length / parts);
  const extra = values.length % parts;
  let at = 0;
  for (let i = 0; i < parts; i++) {
    const n = base + (i < extra ? 1 : 0);
    file.fixedStringList(path, `${name}${i}`, values.slice(at, at + n), itemSize);
    at += n;
  }
}
