import { H5Error } from "./errors.js";

/**
 * The slice of h5wasm's Emscripten module this package calls.
 *
 * We drive the module directly instead of h5wasm's high-level classes: those copy every
 * dataset twice, truncate fixed strings at the first NUL whatever the padding, and cannot
 * be restarted after a trap.
 */
export interface H5Module {
  FS: {
    writeFile(path: string, data: Uint8Array, opts?: { canOwn?: boolean }): void;
    unlink(path: string): void;
    mkdir(path: string): void;
    analyzePath(path: string): { exists: boolean };
    lookupPath(path: string): { node: { contents: Uint8Array | null; usedBytes: number } };
    readFile(path: string): Uint8Array;
  };
  HEAPU8: Uint8Array;
  _malloc(n: number): number;
  _free(ptr: number): void;
  UTF8ToString(ptr: number, maxBytes?: number): string;
  MAXIMUM_MEMORY: number;
  H5F_ACC_RDONLY: number;
  H5F_ACC_TRUNC: number;
  H5G_GROUP: number;
  H5G_DATASET: number;
  open(filename: string, mode: number, trackOrder: boolean, libverLow: number, libverHigh: number): bigint;
  close_file(fileId: bigint): number;
  get_type(fileId: bigint, path: string): number;
  get_names(fileId: bigint, path: string, recursive: boolean): string[];
  get_attribute_names(fileId: bigint, path: string): string[];
  get_attribute_metadata(fileId: bigint, path: string, name: string): RawMetadata;
  get_attribute_data(fileId: bigint, path: string, name: string, ptr: bigint): number;
  reclaim_vlen_memory(fileId: bigint, path: string, name: string, ptr: bigint): number;
  get_dataset_metadata(fileId: bigint, path: string): RawMetadata;
  get_dataset_filters(fileId: bigint, path: string): { id: number; name: string }[];
  get_dataset_data(
    fileId: bigint,
    path: string,
    count: bigint[] | null,
    offset: bigint[] | null,
    strides: bigint[] | null,
    ptr: bigint,
  ): number;
  create_group(fileId: bigint, path: string, trackOrder: boolean): number;
  create_attribute(fileId: bigint, path: string, name: string, ptr: bigint, metadata: WriteMetadata): number;
  create_vlen_str_attribute(
    fileId: bigint,
    path: string,
    name: string,
    data: string[],
    metadata: WriteMetadata,
  ): number;
  create_dataset(fileId: bigint, path: string, ptr: bigint, metadata: WriteMetadata): number;
}

/** What h5wasm reports about a dataset's or attribute's type and space. */
export interface RawMetadata {
  type: number;
  size: number;
  signed: boolean;
  littleEndian: boolean;
  vlen: boolean;
  cset?: number;
  strpad?: number;
  shape: number[] | null;
  total_size: number;
  chunks: number[] | null;
}

/** The type and space of an object to create. */
export interface WriteMetadata {
  type: number;
  size: number;
  signed: boolean;
  vlen: boolean;
  littleEndian: boolean;
  cset?: number;
  shape: bigint[];
  maxshape: bigint[];
  chunks: null;
  compression?: number;
  compression_opts?: number[];
  track_order?: boolean;
}

/** HDF5 type classes (H5T_class_t). */
export const H5T = { INTEGER: 0, FLOAT: 1, STRING: 3, OPAQUE: 5, COMPOUND: 6, ENUM: 8 } as const;

/** One live module plus the diagnostics HDF5 printed since the last `takeDiagnostics`. */
export interface Runtime {
  readonly module: H5Module;
  readonly diagnostics: string[];
  /** Set once the module trapped; such a runtime is never used again. */
  broken: boolean;
}

export type Factory = (options: Record<string, unknown>) => Promise<H5Module>;

let factory: Promise<Factory> | undefined;
let current: Promise<Runtime> | undefined;

/**
 * How the h5wasm Emscripten factory is found: the default entry imports h5wasm's package entry
 * (which bundlers follow) and reuses the one module it starts; the Node entry (`node.ts`)
 * loads the factory file beside it, which makes a fresh module each time (after a trap too).
 */
export type FactoryLoader = () => Promise<Factory>;

let factoryLoader: FactoryLoader = loadPackageModule;

/** Replaces how the h5wasm factory is found (the Node entry calls this once at import). */
export function setFactoryLoader(loader: FactoryLoader): void {
  factoryLoader = loader;
  factory = undefined;
}

async function loadPackageModule(): Promise<Factory> {
  const hl = (await import("h5wasm")) as unknown as { ready: Promise<H5Module> };
  let started = false;
  return async () => {
    // The package's module prints through its own console hooks and cannot be restarted.
    if (started)
      throw new H5Error(
        "runtime",
        "cannot restart the HDF5 runtime: h5wasm's package module trapped earlier; reload the page",
      );
    started = true;
    const module = await hl.ready;
    return module;
  };
}

/** The shared HDF5 runtime, created on first use and again after a trap. */
export async function getRuntime(): Promise<Runtime> {
  if (current !== undefined) {
    const rt = await current;
    if (!rt.broken) return rt;
    current = undefined;
  }
  factory ??= factoryLoader();
  const make = await factory;
  current = (async () => {
    const diagnostics: string[] = [];
    const module = await make({
      noInitialRun: true,
      print: (line: string) => diagnostics.push(line),
      printErr: (line: string) => diagnostics.push(line),
    });
    for (const dir of ["/in", "/out"]) module.FS.mkdir(dir);
    return { module, diagnostics, broken: false };
  })();
  try {
    return await current;
  } catch (cause) {
    current = undefined;
    throw new H5Error("runtime", "cannot start the HDF5 runtime: h5wasm failed to load", { cause });
  }
}

/**
 * The innermost reason in HDF5's printed error stack (`... in H5Dread(): <reason>` plus its
 * minor code), or undefined when nothing was printed.
 */
export function takeDiagnostics(rt: Runtime): string | undefined {
  if (rt.diagnostics.length === 0) return undefined;
  const lines = rt.diagnostics.splice(0, rt.diagnostics.length);
  let reason: string | undefined;
  let minor: string | undefined;
  for (const line of lines) {
    const at = /^\s*#\d+: .* in (\w+\(\)): (.*)$/.exec(line);
    if (at) {
      reason = `${at[1]}: ${at[2]}`;
      minor = undefined;
      continue;
    }
    const m = /^\s*minor: (.*)$/.exec(line);
    if (m) minor = m[1];
  }
  if (reason === undefined) return lines.join(" ").slice(0, 300);
  return minor === undefined ? reason : `${reason} (${minor})`;
}

let counter = 0;

/** A fresh name in the in-memory file system. */
export function scratchName(dir: "in" | "out"): string {
  counter += 1;
  return `/${dir}/f${counter}.h5`;
}
