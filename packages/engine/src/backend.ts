import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { EngineError } from "./errors.js";
import { runtimeHooks } from "./runtime-hooks.js";
import { quietCpuBackend } from "./quiet-cpu.js";

/** Which tfjs backend runs the engine's tensors. */
export type BackendName = "wasm" | "cpu";

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** The backend: `wasm` (SIMD WebAssembly, the default) or `cpu` (plain JavaScript, slower). */
  readonly backend?: BackendName;
  /**
   * Where the `tfjs-backend-wasm*.wasm` files are: a folder or URL prefix ending in `/`, or a map
   * from each file name to its URL (what a bundler's asset imports give). In Node the default is
   * the `dist` folder of the installed `@tensorflow/tfjs-backend-wasm`; in browsers, beside the
   * script that loads the backend. See docs/browser.md.
   */
  readonly wasmPaths?: string | Readonly<Record<string, string>>;
  /** The folder holding `tfjs-backend-wasm*.wasm` (the older name of a `wasmPaths` folder). */
  readonly wasmDir?: string;
}

let ready: Promise<BackendName> | undefined;
let readyFor: BackendName | undefined;

/**
 * Sets up the tfjs backend once and resolves with its name.
 *
 * Nothing happens on import: the engine's tensors need this call first. Calling it again with
 * the same backend, or with none named, returns the same promise; asking for another backend
 * switches to it.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendName> {
  // Without a backend named, keep the one already chosen (a load after `ready({ backend: "cpu" })`).
  const backend = options.backend ?? readyFor ?? "wasm";
  if (ready !== undefined && readyFor === backend) return ready;
  readyFor = backend;
  ready = (backend === "wasm" ? initWasm(options.wasmPaths ?? options.wasmDir) : initCpu()).catch((error: unknown) => {
    ready = undefined;
    readyFor = undefined;
    throw error;
  });
  return ready;
}

async function initWasm(given: string | Readonly<Record<string, string>> | undefined): Promise<BackendName> {
  const hooks = runtimeHooks();
  const paths = given ?? hooks.defaultWasmPaths();
  if (typeof paths === "string") hooks.checkWasmPaths(paths);
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (typeof paths === "string") wasm.setWasmPaths(paths.endsWith("/") ? paths : `${paths}/`);
  else if (paths !== undefined) wasm.setWasmPaths({ ...paths });
  const where = typeof paths === "string" ? paths : paths === undefined ? "beside the script" : "in the wasmPaths map";
  const ok = await tf.setBackend("wasm");
  if (!ok) {
    throw new EngineError("backend", cannot("set up", "the wasm backend", `tfjs could not initialize it (its .wasm files looked for: ${where})`, "pass wasmPaths"), {
      path: where,
    });
  }
  await tf.ready();
  return "wasm";
}

async function initCpu(): Promise<BackendName> {
  await import("@tensorflow/tfjs-backend-cpu");
  const ok = await tf.setBackend("cpu");
  if (!ok) throw new EngineError("backend", cannot("set up", "the cpu backend", "tfjs could not initialize it"));
  quietCpuBackend();
  await tf.ready();
  return "cpu";
}

/** Throws unless {@link initBackend} has finished. */
export function assertBackend(): void {
  const name = tf.getBackend();
  if (name !== "wasm" && name !== "cpu") {
    throw new EngineError("backend", cannot("run", "a tensor operation", "no backend is set up", "await initBackend() first"));
  }
}
