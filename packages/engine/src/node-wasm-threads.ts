/**
 * The threaded SIMD build of tfjs-backend-wasm, started in Node with a given number of threads.
 *
 * tfjs never picks that build in Node, and could not start it there: it hands Emscripten a
 * `blob:` URL for the pthread worker script (Node's `Worker` refuses those), and the build caps
 * XNNPACK's thread pool at half the logical cores (`os.cpus().length / 2`: one thread on a
 * 2-core machine, whatever `setThreadsCount` asks). Here the build's own factory script is run
 * with three edits: the worker starts from the worker script's source (`eval: true`), the pool
 * of pre-started workers is `threads - 1` (the calling thread is XNNPACK's worker 0), and the
 * core count it reads is `2 * threads`, so the cap lets `threads` through.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { runInThisContext } from "node:vm";

/** The Emscripten module of the threaded build, as tfjs's `BackendWasm` takes it. */
export type ThreadedWasmModule = Record<string, unknown> & {
  cwrap(name: string, ret: string | null, args: string[]): (...args: unknown[]) => unknown;
};

type Factory = (config: Record<string, unknown>) => Promise<ThreadedWasmModule>;

const EDITS: readonly (readonly [string, (threads: number) => string])[] = [
  ["var pthreadPoolSize=8;", (threads) => `var pthreadPoolSize=${threads - 1};`],
  [
    'function _emscripten_num_logical_cores(){if(ENVIRONMENT_IS_NODE)return require("os").cpus().length;',
    (threads) => `function _emscripten_num_logical_cores(){if(ENVIRONMENT_IS_NODE)return ${2 * threads};`,
  ],
  ["worker=new Worker(pthreadMainJs)", () => "worker=new Worker(pthreadMainJs,{eval:true})"],
];

/** Where the installed tfjs-backend-wasm keeps the threaded build's files. */
function packageDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
}

/**
 * Loads the threaded factory with the edits applied; a reason string when the installed
 * tfjs-backend-wasm is not the build these edits were written for.
 */
function loadFactory(dir: string, threads: number): Factory | string {
  const script = join(dir, "wasm-out", "tfjs-backend-wasm-threaded-simd.js");
  let source = readFileSync(script, "utf8");
  for (const [from, to] of EDITS) {
    if (!source.includes(from)) return `its threaded build (${script}) has no "${from.slice(0, 40)}..."`;
    source = source.replace(from, to(threads));
  }
  const wrapped = runInThisContext(`(function (require, module, exports, __filename, __dirname) {${source}\n})`, {
    filename: script,
  });
  const module = { exports: {} as unknown };
  wrapped(createRequire(script), module, module.exports, script, dirname(script));
  return module.exports as Factory;
}

/**
 * Starts the threaded SIMD build with `threads` threads (>= 2) and resolves with its module, or
 * with a reason string when it cannot (no SharedArrayBuffer, an unexpected build).
 */
export async function startThreadedWasm(threads: number, wasmDir?: string): Promise<ThreadedWasmModule | string> {
  if (typeof SharedArrayBuffer === "undefined") return "this Node has no SharedArrayBuffer";
  const dir = packageDir();
  const factory = loadFactory(dir, threads);
  if (typeof factory === "string") return factory;
  const require = createRequire(import.meta.url);
  const worker = require(join(dir, "wasm-out", "tfjs-backend-wasm-threaded-simd.worker.js")) as {
    wasmWorkerContents?: unknown;
  };
  if (typeof worker.wasmWorkerContents !== "string") return "its pthread worker script is missing";
  // The worker source sits in a template literal: its "\n" escapes became newlines (tfjs turns
  // them back the same way before making its Blob).
  const workerSource = worker.wasmWorkerContents.replace(/\n/g, "\\n");
  const script = join(dir, "wasm-out", "tfjs-backend-wasm-threaded-simd.js");
  return factory({
    locateFile: (path: string) =>
      path.endsWith(".worker.js")
        ? workerSource
        : join(path.endsWith(".wasm") ? (wasmDir ?? join(dir, "dist")) : join(dir, "wasm-out"), path),
    // Each pthread worker evaluates the (unedited) factory script from disk.
    mainScriptUrlOrBlob: script,
  });
}
