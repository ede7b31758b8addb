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

/**
 * The address of the build's thread pool global (`tfjs::backend::threadpool`), read from the
 * code of its exported `get_threads_count` (which starts `i32.const ADDRESS; i32.load`);
 * undefined when the code is not shaped so.
 */
export function threadpoolAddress(wasm: Uint8Array): number | undefined {
  let p = 8;
  const uleb = () => {
    let r = 0;
    let s = 0;
    let x: number;
    do {
      x = wasm[p++]!;
      r += (x & 0x7f) * 2 ** s;
      s += 7;
    } while (x & 0x80 && p < wasm.length);
    return r;
  };
  const name = () => {
    const n = uleb();
    p += n;
    return new TextDecoder().decode(wasm.subarray(p - n, p));
  };
  let imported = 0;
  let fn: number | undefined;
  let code: number | undefined;
  while (p < wasm.length) {
    const id = wasm[p++]!;
    const end = uleb() + p;
    if (id === 2) {
      for (let n = uleb(); n > 0; n--) {
        name();
        name();
        const kind = wasm[p++]!;
        if (kind === 0) {
          uleb();
          imported++;
        } else if (kind === 1 || kind === 2) {
          if (kind === 1) p++;
          const flags = wasm[p++]!;
          uleb();
          if (flags & 1) uleb();
        } else if (kind === 3) p += 2;
        else return undefined;
      }
    } else if (id === 7) {
      for (let n = uleb(); n > 0; n--) {
        const exported = name();
        const kind = wasm[p++]!;
        const index = uleb();
        if (kind === 0 && exported === "get_threads_count") fn = index;
      }
    } else if (id === 10) code = p;
    p = end;
  }
  if (fn === undefined || code === undefined || fn < imported) return undefined;
  p = code;
  const count = uleb();
  for (let i = 0; i < count; i++) {
    const len = uleb();
    if (i === fn - imported) {
      for (let groups = uleb(); groups > 0; groups--) {
        uleb();
        p++;
      }
      if (wasm[p++] !== 0x41) return undefined; // i32.const
      const address = uleb();
      // A signed LEB128 whose last byte has its sign bit set is negative: not an address.
      if (wasm[p - 1]! & 0x40 || wasm[p] !== 0x28) return undefined; // then i32.load

      return address;
    }
    p += len;
  }
  return undefined;
}

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
  const wasmFile = join(wasmDir ?? join(dir, "dist"), "tfjs-backend-wasm-threaded-simd.wasm");
  let poolAddress: number | undefined;
  try {
    poolAddress = threadpoolAddress(readFileSync(wasmFile));
  } catch {
    poolAddress = undefined;
  }
  const module = await factory({
    locateFile: (path: string) =>
      path.endsWith(".worker.js")
        ? workerSource
        : join(path.endsWith(".wasm") ? (wasmDir ?? join(dir, "dist")) : join(dir, "wasm-out"), path),
    // Each pthread worker evaluates the (unedited) factory script from disk.
    mainScriptUrlOrBlob: script,
  });
  if (poolAddress !== undefined) module.threadpoolAddress = poolAddress;
  return module;
}
