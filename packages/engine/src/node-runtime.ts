/**
 * The engine's Node hooks: the `.wasm` files of the installed `@tensorflow/tfjs-backend-wasm`
 * on disk, and a module-resolution hook so plain Node can load tfjs-core's ES-module build.
 */
import { existsSync } from "node:fs";
import { createRequire, register } from "node:module";
import { availableParallelism, cpus } from "node:os";
import { dirname, join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { cannot } from "@kerastore/core";
import { EngineError } from "./errors.js";
import { startKernelPool } from "./node-kernel-pool.js";
import { relaxedSimdValidates } from "./ops/wasm/wasm-encode.js";
import type { RuntimeHooks } from "./runtime-hooks.js";

const WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];

/** The folder of the `.wasm` files of the installed `@tensorflow/tfjs-backend-wasm`. */
export function defaultWasmDir(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve("@tensorflow/tfjs-backend-wasm");
  // The package's main file sits in dist/ (dist/index.js or dist/tf-backend-wasm.node.js).
  return dirname(main);
}

function locateWasm(): string {
  try {
    return defaultWasmDir();
  } catch (cause) {
    throw new EngineError(
      "backend",
      cannot(
        "set up",
        "the wasm backend",
        "@tensorflow/tfjs-backend-wasm is not installed",
        "install it or pass wasmPaths",
      ),
      { cause },
    );
  }
}

function checkWasmDir(dir: string): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(dir)) return;
  const missing = WASM_FILES.filter((f) => !existsSync(join(dir, f)));
  if (missing.length > 0) {
    throw new EngineError(
      "backend",
      cannot(
        "set up",
        "the wasm backend",
        `${missing.join(", ")} not found in ${dir}`,
        "pass wasmPaths pointing at tfjs-backend-wasm's dist folder",
      ),
      { path: dir },
    );
  }
}

// A Node module-resolution hook: relative specifiers inside tfjs-core's dist/ get their `.js`
// (or `/index.js`), and files there load as ES modules. Runs in Node's loader thread.
const RESOLVER = `
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
const DIST = "/@tensorflow/tfjs-core/dist/";
const esm = (url) => url.includes(DIST) && url.endsWith(".js") && !url.endsWith(".node.js");
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? "";
  if (parent.includes(DIST) && (specifier.startsWith("./") || specifier.startsWith("../")) && !specifier.endsWith(".js")) {
    for (const suffix of [".js", "/index.js"]) {
      const url = new URL(specifier + suffix, parent);
      if (existsSync(fileURLToPath(url))) return { url: url.href, format: "module", shortCircuit: true };
    }
  }
  const resolved = await next(specifier, context);
  return esm(resolved.url) ? { ...resolved, format: "module" } : resolved;
}
export async function load(url, context, next) {
  return esm(url) ? next(url, { ...context, format: "module" }) : next(url, context);
}
`;

let resolverAdded = false;

// Plain Node cannot load tfjs-core's ES-module build (extensionless imports in a package
// without "type": "module"): teach its resolver those two rules, for that folder only, before
// the first attempt (a failed import stays failed in Node's module cache).
async function addTfjsEsmResolver(): Promise<void> {
  if (resolverAdded || typeof register !== "function") return;
  register(`data:text/javascript,${encodeURIComponent(RESOLVER)}`, import.meta.url);
  resolverAdded = true;
}

/** The hooks the Node entry installs. */
export const nodeRuntimeHooks: RuntimeHooks = {
  defaultWasmPaths: locateWasm,
  checkWasmPaths: checkWasmDir,
  beforeGradientImport: addTfjsEsmResolver,
  defaultThreads: nodeThreads,
  startThreadedWasm: async (threads, wasmDir) =>
    (await import("./node-wasm-threads.js")).startThreadedWasm(threads, wasmDir),
  withoutModuleHandlers,
  startKernelPool,
  enableRelaxedSimd,
};

// Node 20's V8 has relaxed SIMD (the fused multiply-add our products use: ./ops/wasm/gemm-simd.ts)
// behind a flag, shipped on from Node 22. The flag only decides whether modules compiled later
// may use those instructions: tfjs-backend-wasm's own module, compiled before, is unchanged.
// KERASTORE_WASM_RELAXED_SIMD=0 leaves the flag alone (and the products unfused).
function enableRelaxedSimd(): void {
  if (process.env.KERASTORE_WASM_RELAXED_SIMD === "0" || relaxedSimdValidates()) return;
  try {
    setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    // A runtime without the flag keeps the unfused products.
  }
}

const MODULE_EVENTS = ["uncaughtException", "unhandledRejection"];
type Listener = (...args: unknown[]) => void;
/** `process` as an emitter of any event name (its typings overload each event separately). */
const emitter = process as unknown as {
  listeners(event: string): Listener[];
  removeListener(event: string, listener: Listener): void;
};

// tfjs-backend-wasm's Emscripten glue adds process listeners that rethrow what they are given:
// they change nothing about how a program ends (Node then reports the error and exits with 1,
// as it does with no listener), but the report points into the glue's single minified line,
// which Node prints whole (tens of kilobytes) above the error. Those added while `start` runs
// are removed; listeners the program had, or adds meanwhile elsewhere, are left alone.
async function withoutModuleHandlers<T>(start: () => Promise<T>): Promise<T> {
  const before = new Map(MODULE_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    return await start();
  } finally {
    for (const event of MODULE_EVENTS) {
      for (const listener of emitter.listeners(event)) {
        if (!before.get(event)!.has(listener) && /throw/.test(String(listener)))
          emitter.removeListener(event, listener);
      }
    }
  }
}

// KERASTORE_WASM_THREADS: a number, or "auto" for every logical core (at most 8, the most
// tfjs's build runs). Unset or empty: every core, at most 4 (tfjs alone runs one thread in Node,
// never starting its threaded build there). The threaded build runs kernels too small to gain
// from threads on the calling thread (wasm-small-ops.ts). `KERASTORE_WASM_THREADS=1` asks for
// tfjs's one-thread build.
function nodeThreads(): number {
  const env = process.env.KERASTORE_WASM_THREADS?.trim() ?? "";
  const cores = typeof availableParallelism === "function" ? availableParallelism() : cpus().length;
  if (env === "") return Math.max(1, Math.min(4, cores));
  const asked = env === "auto" ? cores : Number(env);
  return Number.isInteger(asked) && asked >= 1 ? Math.min(8, asked) : 1;
}
