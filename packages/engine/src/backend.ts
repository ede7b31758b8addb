import { cannot } from "@kerastore/core";
import * as tf from "@tensorflow/tfjs-core";
import { EngineError } from "./errors.js";
import { quietCpuBackend } from "./quiet-cpu.js";
import { runtimeHooks } from "./runtime-hooks.js";
import { installTensorMethods } from "./tensor-methods.js";
import { runSmallKernelsOnOneThread } from "./wasm-small-ops.js";
import { registerCpuAvgPoolGrad } from "./ops/wasm/avg-pool-grad.js";
import { registerWasmKernels } from "./ops/wasm/index.js";

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
  /**
   * How many threads the WASM backend's matrix products and convolutions (XNNPACK) run on, at
   * most 8. More than one runs tfjs-backend-wasm's threaded SIMD build: in Node always (started
   * by the engine, see node-wasm-threads.ts), in browsers when the page is cross-origin isolated
   * (SharedArrayBuffer). Results equal the one-thread ones (each output element is summed by one
   * thread). Default: in Node `KERASTORE_WASM_THREADS` (a number, or `auto` for every core), else
   * every core, at most 4 (kernels too small to gain run on the calling thread, see
   * wasm-small-ops.ts); in browsers tfjs's choice (half the cores, at most 4). Decided by the first
   * `initBackend` that sets up the WASM backend.
   */
  readonly threads?: number;
}

/** How the WASM backend runs: its threads, and why it runs fewer than asked when it does. */
export interface WasmThreading {
  /** Undefined when tfjs chose (a browser, no `threads` given). */
  readonly asked: number | undefined;
  readonly threads: number;
  readonly reason?: string;
}

let threading: WasmThreading | undefined;

/** The WASM backend's threads (after {@link initBackend}); undefined before, or on the CPU backend. */
export function wasmThreading(): WasmThreading | undefined {
  return threading;
}

let ready: Promise<BackendName> | undefined;
let readyFor: BackendName | undefined;

/**
 * Sets up the tfjs backend once and resolves with its name.
 *
 * Nothing happens on import: the engine's tensors need this call first. It also gives tfjs-core's
 * tensors the methods tfjs programs call on them (`x.slice(0, 2)`, `a.add(b)`: ./tensor-methods.ts). Calling it again with
 * the same backend, or with none named, returns the same promise; asking for another backend
 * switches to it.
 */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendName> {
  installTensorMethods(); // x.slice(...), a.add(b): see ./tensor-methods.ts
  // Without a backend named, keep the one already chosen (a load after `ready({ backend: "cpu" })`).
  const backend = options.backend ?? readyFor ?? "wasm";
  if (ready !== undefined && readyFor === backend) return ready;
  readyFor = backend;
  ready = (backend === "wasm" ? initWasm(options.wasmPaths ?? options.wasmDir, options.threads) : initCpu()).catch(
    (error: unknown) => {
      ready = undefined;
      readyFor = undefined;
      throw error;
    },
  );
  return ready;
}

async function initWasm(
  given: string | Readonly<Record<string, string>> | undefined,
  threads: number | undefined,
): Promise<BackendName> {
  const hooks = runtimeHooks();
  const paths = given ?? hooks.defaultWasmPaths();
  if (typeof paths === "string") hooks.checkWasmPaths(paths);
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new EngineError(
      "backend",
      cannot("set up", "the wasm backend", `threads must be a whole number >= 1, got ${String(threads)}`),
    );
  }
  const chosen = threads ?? hooks.defaultThreads();
  const asked = chosen === undefined ? undefined : Math.min(8, chosen);
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  if (typeof paths === "string") wasm.setWasmPaths(paths.endsWith("/") ? paths : `${paths}/`);
  else if (paths !== undefined) wasm.setWasmPaths({ ...paths });
  const where = typeof paths === "string" ? paths : paths === undefined ? "beside the script" : "in the wasmPaths map";
  const start = async (): Promise<[string | undefined, boolean]> => {
    const reason =
      asked !== undefined && asked > 1
        ? await prepareThreads(wasm, asked, typeof paths === "string" ? paths : undefined)
        : undefined;
    if (asked === 1) wasm.setThreadsCount(1);
    const ok =
      asked === undefined
        ? await tf.setBackend("wasm")
        : await withLogicalCores(2 * asked, () => tf.setBackend("wasm"));
    return [reason, ok];
  };
  const [reason, ok] = await (hooks.withoutModuleHandlers?.(start) ?? start());
  if (!ok) {
    throw new EngineError(
      "backend",
      cannot(
        "set up",
        "the wasm backend",
        `tfjs could not initialize it (its .wasm files looked for: ${where})`,
        "pass wasmPaths",
      ),
      {
        path: where,
      },
    );
  }
  await tf.ready();
  // Our WASM kernels from the start, not from the first fit: inference uses some of them too
  // (Conv2DTranspose's forward pass is Conv2DBackpropInput, ~15x faster than the stock loop).
  if (tf.getBackend() === "wasm") {
    hooks.enableRelaxedSimd?.();
    registerWasmKernels();
  }
  const running = tf.getBackend() === "wasm" ? Math.max(1, wasm.getThreadsCount()) : 1;
  const short = asked !== undefined && running < asked;
  threading = {
    asked,
    threads: running,
    ...(reason !== undefined ? { reason } : short ? { reason: "the page is not cross-origin isolated" } : {}),
  };
  return "wasm";
}

type WasmPackage = typeof import("@tensorflow/tfjs-backend-wasm");

// Where tfjs would not start the threaded build itself (Node), start it here and register it as
// the "wasm" backend (the name tfjs-backend-wasm's kernels are registered under). Returns why
// it runs one thread instead, if it does.
async function prepareThreads(
  wasm: WasmPackage,
  threads: number,
  wasmDir: string | undefined,
): Promise<string | undefined> {
  const hooks = runtimeHooks();
  wasm.setThreadsCount(threads);
  if (hooks.startThreadedWasm === undefined) return undefined;
  const dir = wasmDir !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(wasmDir) ? wasmDir : undefined;
  let started: Record<string, unknown> | string;
  try {
    started = await hooks.startThreadedWasm(threads, dir);
  } catch (error) {
    started = error instanceof Error ? error.message : String(error);
  }
  if (typeof started === "string") return started;
  const module = started as Record<string, unknown> & { cwrap: (n: string, r: string | null, a: string[]) => unknown };
  module.tfjs = {
    init: module.cwrap("init", null, []),
    initWithThreadsCount: module.cwrap("init_with_threads_count", null, ["number"]),
    getThreadsCount: module.cwrap("get_threads_count", "number", []),
    registerTensor: module.cwrap("register_tensor", null, ["number", "number", "number"]),
    disposeData: module.cwrap("dispose_data", null, ["number"]),
    dispose: module.cwrap("dispose", null, []),
  };
  tf.removeBackend("wasm");
  tf.registerBackend(
    "wasm",
    () => {
      const backend = new wasm.BackendWasm(module as never);
      // XNNPACK's threads are Node workers that Emscripten keeps referenced while they run (they
      // always do: they wait for work): let the process exit when its own work is done.
      const pthread = module.PThread as { runningWorkers?: { unref?: () => void }[] } | undefined;
      for (const worker of pthread?.runningWorkers ?? []) worker.unref?.();
      return backend;
    },
    2,
  );
  // Small kernels skip the pool's wake-up (wasm-small-ops.ts); KERASTORE_WASM_SMALL_KERNELS=pool keeps them on it.
  const address = module.threadpoolAddress;
  const keep = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.KERASTORE_WASM_SMALL_KERNELS;
  if (typeof address === "number" && keep !== "pool")
    runSmallKernelsOnOneThread(module as unknown as { HEAPU8: Uint8Array }, address);
  return undefined;
}

// tfjs's threaded build caps its pool at half the logical cores the page reports: a 2-core
// browser would get one thread. Report `cores` while the backend starts (browsers only).
async function withLogicalCores<T>(cores: number, run: () => Promise<T>): Promise<T> {
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav === undefined || typeof (globalThis as { process?: unknown }).process === "object") return run();
  const own = Object.getOwnPropertyDescriptor(nav, "hardwareConcurrency");
  try {
    Object.defineProperty(nav, "hardwareConcurrency", { value: cores, configurable: true });
  } catch {
    return run();
  }
  try {
    return await run();
  } finally {
    if (own !== undefined) Object.defineProperty(nav, "hardwareConcurrency", own);
    else delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}

async function initCpu(): Promise<BackendName> {
  await import("@tensorflow/tfjs-backend-cpu");
  const ok = await tf.setBackend("cpu");
  if (!ok) throw new EngineError("backend", cannot("set up", "the cpu backend", "tfjs could not initialize it"));
  quietCpuBackend();
  // tfjs-backend-cpu's AvgPoolGrad divides by the whole window under "same" padding (TensorFlow: by the inside).
  registerCpuAvgPoolGrad();
  await tf.ready();
  return "cpu";
}

/** Throws unless {@link initBackend} has finished. */
export function assertBackend(): void {
  const name = tf.getBackend();
  if (name !== "wasm" && name !== "cpu") {
    throw new EngineError(
      "backend",
      cannot("run", "a tensor operation", "no backend is set up", "await initBackend() first"),
    );
  }
}
