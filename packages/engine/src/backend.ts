import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { cannot } from "@kerastore/core";
import { EngineError } from "./errors.js";
import { quietCpuBackend } from "./quiet-cpu.js";

/** Which tfjs backend runs the engine's tensors. */
export type BackendName = "wasm" | "cpu";

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** The backend: `wasm` (SIMD WebAssembly, the default) or `cpu` (plain JavaScript, slower). */
  readonly backend?: BackendName;
  /**
   * The folder holding `tfjs-backend-wasm*.wasm`. By default the `dist` folder of the installed
   * `@tensorflow/tfjs-backend-wasm`.
   */
  readonly wasmDir?: string;
}

const WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];

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
  ready = (backend === "wasm" ? initWasm(options.wasmDir) : initCpu()).catch((error: unknown) => {
    ready = undefined;
    readyFor = undefined;
    throw error;
  });
  return ready;
}

/** The folder of the `.wasm` files of the installed `@tensorflow/tfjs-backend-wasm`. */
export function defaultWasmDir(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve("@tensorflow/tfjs-backend-wasm");
  // The package's main file sits in dist/ (dist/index.js or dist/tf-backend-wasm.node.js).
  return dirname(main);
}

async function initWasm(wasmDir: string | undefined): Promise<BackendName> {
  let dir: string;
  try {
    dir = wasmDir ?? defaultWasmDir();
  } catch (cause) {
    throw new EngineError(
      "backend",
      cannot("set up", "the wasm backend", "@tensorflow/tfjs-backend-wasm is not installed", "install it or pass wasmDir"),
      { cause },
    );
  }
  const missing = WASM_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new EngineError(
      "backend",
      cannot("set up", "the wasm backend", `${missing.join(", ")} not found in ${dir}`, "pass wasmDir pointing at tfjs-backend-wasm's dist folder"),
      { path: dir },
    );
  }
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(dir.endsWith("/") ? dir : `${dir}/`);
  const ok = await tf.setBackend("wasm");
  if (!ok) throw new EngineError("backend", cannot("set up", "the wasm backend", "tfjs could not initialize it"), { path: dir });
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
