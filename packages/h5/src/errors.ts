import { KerastoreError, type KerastoreErrorOptions } from "@kerastore/core";

/** Why `@kerastore/h5` refused a file or a tree. */
export type H5ErrorCode =
  /** The bytes are not an HDF5 file at all (bad signature, truncated superblock). */
  | "not-hdf5"
  /** The HDF5 library reported an error while reading or writing (corrupt object, bad offset). */
  | "hdf5"
  /** An HDF5 file, but not one Keras wrote (no `layer_names`, no `model_weights`, no `vars`). */
  | "not-keras"
  /** A Keras file whose contents contradict themselves (missing dataset, bad JSON, bad shape). */
  | "corrupt"
  /** A valid file using something this package does not read or write (a dtype, a layout). */
  | "unsupported"
  /** The saved tree handed to a writer cannot be written (duplicate names, no config). */
  | "invalid-tree"
  /** The WebAssembly HDF5 runtime failed (trap or abort); it is restarted on the next call. */
  | "runtime";

/** An error from `@kerastore/h5`; `path` names the file and, after `:`, the HDF5 object. */
export class H5Error extends KerastoreError<H5ErrorCode> {
  constructor(code: H5ErrorCode, message: string, options: KerastoreErrorOptions = {}) {
    super(code, message, options);
  }
}

/** `<file>:<object path>`, the place an H5Error names. */
export function placeOf(file: string, object?: string): string {
  return object === undefined ? file : `${file}:${object}`;
}
