import { cannot } from "@kerastore/core";
import { EngineError } from "../../errors.js";
import { runtimeHooks } from "../../runtime-hooks.js";
import { backendExports, backendMemory, envVar, type SharedKernelModule, sharedKernelModule } from "./wasm-encode.js";

/**
 * The engine's own WebAssembly kernels on more than one thread.
 *
 * tfjs-backend-wasm's threaded build runs XNNPACK (products, convolutions) on its thread pool;
 * the engine's hand-encoded SIMD modules (./wasm-encode.ts) run on the calling thread. Where the
 * backend's memory is shared (the threaded build, `threads` > 1) and the runtime can start
 * blocking workers (Node: ../../node-kernel-pool.ts), `threads - 1` worker threads instantiate
 * the same modules on the same memory, and a kernel split into independent parts runs each
 * part on whichever thread takes it first (the calling thread included: a worker that gets no
 * core on a busy machine takes none), returning when all are done.
 *
 * How a kernel uses it:
 *
 *     const parts = kernelParts(backend, work, MIN_WORK);           // 1 without a pool
 *     runParts(backend, "max-pool-grad", "windows", argsPerPart);   // one entry a part
 *
 * `name` is the name the module was given to `instantiateOnBackend` (it must have been
 * instantiated on this backend first), `fn` one of its exports, and each entry of `argsPerPart`
 * that function's arguments for one part (numbers: addresses, counts, floats). A part made of
 * many calls of `fn` (a loop the module leaves to JavaScript) goes through
 * `runPartCalls(backend, name, fn, arity, callsPerPart)`, each part a flat list of `arity`
 * arguments per call, run in order by one thread. The parts must write disjoint bytes; a kernel
 * that reduces cuts its work into `fixedBlocks(work, minWork)` blocks (from the size alone),
 * gives each block its own partial buffer (a cache line apart from the others) and adds them
 * afterwards in block order, so its results do not depend on the thread count (see
 * ./conv-bias-relu.ts). An elementwise loop `(addresses..., bytes)` splits with
 * `runElementwise` (./relu-train.ts). With one part, or no pool, every part runs on the calling
 * thread in order.
 *
 * A matrix product with a row-range entry point, say `rows(a, b, c, rowStart, rowEnd, ...)`
 * of a module instantiated as "gemm-simd", runs on every core with
 *
 *     const ranges = splitRange(m, kernelParts(backend, m * n * k, 1 << 21));
 *     runParts(backend, "gemm-simd", "rows", ranges.map(([r0, r1]) => [a, b, c, r0, r1, ...]));
 *
 * Where a split pays (measured on a 2-core VM, docs/training.md): a woken worker starts ~0.1 ms
 * late and runs cold, so a part should hold about 0.5 ms of work or more; long compute-bound
 * kernels gain most.
 *
 * Not used (everything on the calling thread, as before): one thread, a memory that is not
 * shared, runtimes without the hook (browsers: the main thread may not block), or
 * `KERASTORE_KERNEL_POOL=0`. A worker that dies, a part that throws, or a part that outlasts
 * `KERASTORE_KERNEL_POOL_TIMEOUT_MS` (30 s) makes the call throw an EngineError; later calls
 * then run on the calling thread. The workers are unref'd (they never keep the process alive)
 * and stop when the backend is disposed.
 */

/** A call's parts (chunks), as the runtime's workers take them. */
export interface KernelPoolJob {
  readonly name: string;
  readonly module: SharedKernelModule;
  readonly fn: string;
  /** Arguments per call. */
  readonly arity: number;
  /** Each chunk's calls, one after the other: `arity` arguments each. */
  readonly chunks: readonly (readonly number[])[];
}

/** The workers a runtime starts for the pool (Node: ../../node-kernel-pool.ts). */
export interface KernelPoolDriver {
  /** How many workers. */
  readonly workers: number;
  /** Why the workers cannot run parts any more (a worker died, the pool was closed). */
  readonly dead: string | undefined;
  /**
   * Runs every chunk of `job` once, on the workers or here (`runChunk(i)` runs chunk i on the
   * calling thread); returns when all are done, throws an EngineError when one failed.
   */
  run(job: KernelPoolJob, runChunk: (i: number) => void): void;
  /** Stops the workers. */
  close(): void;
}

const pools = new WeakMap<object, KernelPoolDriver | null>();

/** The backend's thread count in the threaded build (its pthread pool plus the calling thread). */
function backendThreads(backend: object): number {
  const pthread = (backend as { wasm?: { PThread?: { runningWorkers?: unknown[] } } }).wasm?.PThread;
  return (pthread?.runningWorkers?.length ?? 0) + 1;
}

/** The pool of `backend`, started on first use; null where none runs. */
export function kernelPool(backend: object): KernelPoolDriver | null {
  let pool = pools.get(backend);
  if (pool !== undefined) return pool;
  pool = null;
  const start = runtimeHooks().startKernelPool;
  const memory = backendMemory(backend);
  const threads = backendThreads(backend);
  if (
    envVar("KERASTORE_KERNEL_POOL") !== "0" &&
    start !== undefined &&
    memory !== undefined &&
    typeof SharedArrayBuffer !== "undefined" &&
    memory.buffer instanceof SharedArrayBuffer &&
    threads > 1
  ) {
    const started = start(memory, threads - 1);
    if (typeof started !== "string") {
      pool = started;
      // Stop the workers with the backend (tf.removeBackend / engine reset dispose it).
      const owner = backend as { dispose?: () => void };
      const dispose = owner.dispose;
      if (typeof dispose === "function")
        owner.dispose = function (this: unknown) {
          started.close();
          return dispose.call(this);
        };
    }
  }
  pools.set(backend, pool);
  return pool;
}

/** How many threads a kernel may split across on `backend` (1 without a pool). */
export function poolThreads(backend: object): number {
  const pool = kernelPool(backend);
  // KERASTORE_KERNEL_POOL_PARTS=1 (A/B measurements in one process): the calling thread alone.
  if (pool === null || pool.dead !== undefined || envVar("KERASTORE_KERNEL_POOL_PARTS") === "1") return 1;
  return pool.workers + 1;
}

/**
 * How many parts to split a kernel of `work` units into: 1 without a pool, else one per
 * `minWork` units, at most 4 per thread (the threads take parts as they come free: a thread
 * that starts late, on a busy machine, takes fewer).
 */
export function kernelParts(backend: object, work: number, minWork: number): number {
  const threads = poolThreads(backend);
  if (threads === 1) return 1;
  // Tests: a fixed part count whatever the work (ragged splits, more parts than threads).
  const forced = Number(envVar("KERASTORE_KERNEL_POOL_PARTS"));
  if (Number.isInteger(forced) && forced >= 1) return forced;
  return Math.max(1, Math.min(4 * threads, Math.floor(work / minWork)));
}

/**
 * How many blocks a reduction over `work` units is cut into: one per `minWork` units, 1 to
 * `most`, from the size alone. A kernel that sums gives each block its own partial sums and adds
 * them in block order, then spreads the blocks over the threads: the same bits on any thread count.
 */
export function fixedBlocks(work: number, minWork: number, most = 4): number {
  return Math.max(1, Math.min(most, Math.floor(work / minWork)));
}

/**
 * Runs `fn(...addresses + offset, bytes)` of an elementwise loop over `bytes` bytes (a multiple
 * of 16) in parts of 64-byte-aligned ranges, split as {@link kernelParts} says for `minBytes`
 * bytes a part: every address moves by the same offset, and each part writes its own range.
 */
export function runElementwise(
  backend: object,
  name: string,
  fn: string,
  addresses: readonly number[],
  bytes: number,
  minBytes: number,
): void {
  const parts = kernelParts(backend, bytes, minBytes);
  const lines = Math.ceil(bytes / 64);
  const args = splitRange(lines, Math.min(parts, lines)).map(([s, e]) => {
    const [from, to] = [s * 64, Math.min(bytes, e * 64)];
    return [...addresses.map((a) => a + from), to - from];
  });
  runParts(backend, name, fn, args);
}

let pooledCalls = 0;

/** How many calls ran parts on the pool's workers so far (tests, profiles). */
export function kernelPoolCalls(): number {
  return pooledCalls;
}

/** `total` items in `parts` contiguous ranges [start, end), the first ones one longer. */
export function splitRange(total: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  const base = Math.floor(total / parts);
  const extra = total % parts;
  for (let p = 0, start = 0; p < parts; p++) {
    const end = start + base + (p < extra ? 1 : 0);
    out.push([start, end]);
    start = end;
  }
  return out;
}

type Exports = Record<string, (...args: number[]) => void>;

/**
 * Runs `fn` of the module instantiated as `name` once per entry of `argsPerPart`, each part on
 * whichever thread takes it first (the calling thread included), in no set order. Returns when
 * every part is done; throws an EngineError when one failed.
 */
export function runParts(backend: object, name: string, fn: string, argsPerPart: readonly (readonly number[])[]): void {
  runPartCalls(backend, name, fn, argsPerPart[0]?.length ?? 0, argsPerPart);
}

/**
 * {@link runParts} for parts of several calls: each entry of `callsPerPart` holds its calls'
 * arguments one after the other, `arity` a call, run in order by the part's thread.
 */
export function runPartCalls(
  backend: object,
  name: string,
  fn: string,
  arity: number,
  callsPerPart: readonly (readonly number[])[],
): void {
  const exports = backendExports(backend, name) as Exports | null | undefined;
  const local = exports?.[fn];
  if (typeof local !== "function")
    throw new EngineError(
      "invalid-argument",
      cannot("run", `${name}.${fn}`, "no such function instantiated on this backend"),
    );
  const runLocal = (calls: readonly number[]) => {
    if (calls.length === arity) local(...calls);
    else if (arity > 0) {
      const args = new Array<number>(arity);
      for (let at = 0; at < calls.length; ) {
        for (let i = 0; i < arity; i++) args[i] = calls[at++]!;
        local(...args);
      }
    }
  };
  const alone = callsPerPart.length === 1 || envVar("KERASTORE_KERNEL_POOL_PARTS") === "1";
  const pool = alone ? null : kernelPool(backend);
  const module = pool === null ? undefined : sharedKernelModule(backend, name);
  if (pool === null || module === undefined) {
    for (const calls of callsPerPart) runLocal(calls);
    return;
  }
  if (pool.dead !== undefined) {
    // Once: report the failure, then run on the calling thread from here on.
    pools.set(backend, null);
    throw new EngineError("backend", cannot("run", `${name}.${fn} on the kernel pool`, pool.dead));
  }
  pooledCalls++;
  try {
    pool.run({ name, module, fn, arity, chunks: callsPerPart }, (i) => runLocal(callsPerPart[i]!));
  } catch (error) {
    if (pool.dead !== undefined) pools.set(backend, null);
    throw error;
  }
}
