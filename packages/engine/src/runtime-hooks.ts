import type { KernelPoolDriver } from "./ops/wasm/kernel-pool.js";

/**
 * What the engine asks of the runtime it runs in, with portable defaults.
 *
 * The package's default entry touches no Node module: the Node entry (`node.ts`, picked by the
 * `node` export condition) installs hooks that find the installed `.wasm` files on disk and
 * teach Node's loader tfjs-core's extensionless ES modules. Browsers, workers and other
 * runtimes keep the defaults.
 */
export interface RuntimeHooks {
  /**
   * The folder (or URL prefix) of the `.wasm` files when the caller gave none; undefined lets
   * tfjs-backend-wasm look beside its own script.
   */
  defaultWasmPaths(): string | undefined;
  /** Throws a clear error when `wasmPaths` cannot hold the `.wasm` files (Node checks the disk). */
  checkWasmPaths(wasmPaths: string): void;
  /** Runs before the engine imports tfjs-core's gradient module (Node adds a resolver hook). */
  beforeGradientImport(): Promise<void>;
  /**
   * How many threads the WASM backend runs when the caller names none; undefined leaves it to
   * tfjs (in browsers: half the logical cores, at most 4, on a cross-origin isolated page).
   */
  defaultThreads(): number | undefined;
  /**
   * Starts tfjs-backend-wasm's threaded SIMD build with `threads` threads where tfjs itself
   * would not (Node); resolves with the Emscripten module, or a reason it cannot. Undefined
   * where tfjs picks that build itself (a cross-origin isolated page).
   */
  startThreadedWasm?(threads: number, wasmDir: string | undefined): Promise<Record<string, unknown> | string>;
  /**
   * Runs `start` (which loads tfjs-backend-wasm's Emscripten module) and takes back the process
   * handlers the module installs on the way (Node: `uncaughtException` and `unhandledRejection`
   * listeners that rethrow, so any later uncaught error in the program, the user's own included,
   * is reported from inside the module's one-line minified glue, printing that whole line).
   */
  withoutModuleHandlers?<T>(start: () => Promise<T>): Promise<T>;
  /**
   * Starts `workers` threads that run parts of the engine's own WebAssembly kernels on the
   * shared memory `memory` (./ops/wasm/kernel-pool.ts), or says why it cannot. Undefined where
   * the calling thread may not block (browsers): the kernels run on it alone.
   */
  startKernelPool?(memory: object, workers: number): KernelPoolDriver | string;
  /**
   * Lets WebAssembly compiled from now on use relaxed SIMD (fused multiply-add) where the
   * runtime has it behind a switch (Node 20: V8's `--experimental-wasm-relaxed-simd`).
   * Undefined where it is on or off for good (browsers: Chrome 114+ has it).
   */
  enableRelaxedSimd?(): void;
}

const portable: RuntimeHooks = {
  defaultWasmPaths: () => undefined,
  checkWasmPaths: () => {},
  beforeGradientImport: async () => {},
  defaultThreads: () => undefined,
};

let current: RuntimeHooks = portable;

/** The hooks in force. */
export function runtimeHooks(): RuntimeHooks {
  return current;
}

/** Replaces some hooks (the Node entry calls this once at import). */
export function setRuntimeHooks(hooks: Partial<RuntimeHooks>): void {
  current = { ...current, ...hooks };
}
