import { type SavedModelData, keras3WalkPaths } from "@kerastore/core";
import type { H5WriteFile } from "./h5-write-file.js";
import { type H5WriteBackend, buildWith, nativeChunks } from "./write-backend.js";

/** Options of `writeKeras3WeightsH5`. */
export interface WriteKeras3WeightsOptions {
  /** The file name errors show. Default `"<model.weights.h5>"`. */
  readonly name?: string;
  /** The HDF5 writer: `native` (default) or `h5wasm` (for comparison; no float16/bfloat16/bool). */
  readonly backend?: H5WriteBackend;
}

const DEFAULTS = Object.freeze({ name: "<model.weights.h5>", backend: "native" } as const);

/** Keras's `to_snake_case` and the walk paths now live in `@kerastore/core` (one copy). */
export { keras3WalkPaths, toSnakeCase } from "@kerastore/core";

/** Writes a saved tree as a Keras 3 `.weights.h5` and returns the bytes. */
export async function writeKeras3WeightsH5(
  data: SavedModelData,
  options: WriteKeras3WeightsOptions = {},
): Promise<Uint8Array> {
  const { name, backend } = { ...DEFAULTS, ...options };
  let bytes = 0;
  for (const node of keras3WalkPaths(data.root).values()) {
    for (const v of node.variables) bytes += v.value.dtype === "string" ? 0 : v.value.data.byteLength;
  }
  return buildWith(backend, name, keras3Body(data), Math.ceil(bytes * 1.01) + (1 << 20));
}

/**
 * Writes a saved tree as a Keras 3 `.weights.h5` with the native writer, as chunks for
 * `Store.write` (weight bytes are views of the tensors, not copies).
 */
export function keras3WeightsH5Chunks(
  data: SavedModelData,
  options: Omit<WriteKeras3WeightsOptions, "backend"> = {},
): Uint8Array[] {
  const { name } = { ...DEFAULTS, ...options };
  return nativeChunks(name, keras3Body(data));
}

function keras3Body(data: SavedModelData): (file: H5WriteFile) => void {
  const paths = keras3WalkPaths(data.root);
  return (file) => {
    const groups = new Set<string>(["/"]);
    const ensure = (path: string): void => {
      let at = "";
      for (const part of path.split("/").filter((p) => p !== "")) {
        at = `${at}/${part}`;
        if (!groups.has(at)) {
          file.group(at);
          groups.add(at);
        }
      }
    };
    for (const [path, node] of paths) {
      const vars = path === "" ? "/vars" : `/${path}/vars`;
      ensure(vars);
      if (node.name !== undefined) file.scalarString(vars, "name", node.name, "utf8");
      for (const [i, v] of node.variables.entries()) file.dataset(`${vars}/${i}`, v.value);
    }
  };
}
