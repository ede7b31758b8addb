/**
 * The kernel pool's worker threads in Node (see ./ops/wasm/kernel-pool.ts for what runs on them).
 *
 * Each worker instantiates the engine's hand-encoded WebAssembly modules on the backend's shared
 * memory and waits, blocked in `Atomics.wait`, on its slot of a shared control block. A call
 * writes each worker's part (module, function, arguments) into its slot, bumps the slot's
 * sequence number and notifies it; the calling thread runs its own part meanwhile, then waits
 * (a short spin, then `Atomics.wait` in slices) until every worker has written the same number
 * back. A module a worker has not seen travels on a MessageChannel beside the call and is read
 * synchronously (`receiveMessageOnPort`) by the worker; a worker's error comes back the same way.
 * No event loop turn is needed on either side, so kernels stay synchronous.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { cannot } from "@kerastore/core";
import { EngineError } from "./errors.js";
import type { KernelPoolDriver, KernelPoolJob } from "./ops/wasm/kernel-pool.js";

// A worker's slot in the control block: 16 int32 words. A part's calls (NCALLS of NARGS
// float64 arguments each) sit in the worker's own calls buffer, replaced by a larger one (sent
// on the port) when a part needs more room.
const SEQ = 0;
const DONE = 1;
const CMD = 2;
const MODULE = 3;
const FN = 4;
const NARGS = 5;
const STATUS = 6;
const POSTED = 7;
const NCALLS = 8;
const SLOT = 64;
const [RUN, STOP, SLEEP] = [1, 2, 3];

// CommonJS run with `eval: true`: the worker needs no file that survives the build.
const WORKER = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { control, base, memory, port, spin } = workerData;
const ctl = new Int32Array(control, base, 16);
let calls = new Float64Array(workerData.calls);
const modules = [];
let seq = 0;
let received = 0;
for (;;) {
  for (let n = 0; n < spin && Atomics.load(ctl, ${SEQ}) === seq; n++);
  Atomics.wait(ctl, ${SEQ}, seq);
  seq = Atomics.load(ctl, ${SEQ});
  const cmd = ctl[${CMD}];
  if (cmd === ${STOP}) break;
  let status = 0;
  try {
    for (let m; received < ctl[${POSTED}] && (m = receiveMessageOnPort(port)) !== undefined; received++) {
      const msg = m.message;
      if (msg.calls !== undefined) calls = new Float64Array(msg.calls);
      else {
        const instance = new WebAssembly.Instance(msg.module, { env: { memory } });
        modules[msg.id] = msg.names.map((name) => instance.exports[name]);
      }
    }
    if (cmd === ${SLEEP}) Atomics.wait(ctl, 15, 0, calls[0]);
    else {
      const fn = modules[ctl[${MODULE}]] && modules[ctl[${MODULE}]][ctl[${FN}]];
      if (typeof fn !== "function") throw new Error("module " + ctl[${MODULE}] + " has no function " + ctl[${FN}]);
      const arity = ctl[${NARGS}];
      const a = new Array(arity);
      for (let c = 0, at = 0; c < ctl[${NCALLS}]; c++) {
        for (let i = 0; i < arity; i++) a[i] = calls[at++];
        fn(...a);
      }
    }
  } catch (error) {
    status = 1;
    port.postMessage(String(error && error.message !== undefined ? error.message : error));
  }
  ctl[${STATUS}] = status;
  Atomics.store(ctl, ${DONE}, seq);
  Atomics.notify(ctl, ${DONE});
}
`;

interface Options {
  /** Spin iterations of a worker before it blocks (0: block at once). */
  readonly workerSpin: number;
  /** Spin iterations of the calling thread before it blocks on a worker. */
  readonly callerSpin: number;
  /** How long a call waits for a worker before it gives up (ms). */
  readonly timeoutMs: number;
}

const env = (name: string) => process.env[name];
const numberEnv = (name: string, fallback: number) => {
  const v = Number(env(name));
  return env(name) !== undefined && env(name) !== "" && Number.isFinite(v) && v >= 0 ? v : fallback;
};

class NodeKernelPool implements KernelPoolDriver {
  readonly workers: number;
  private readonly control: SharedArrayBuffer;
  private readonly threads: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly loaded: Map<object, number>[] = [];
  private readonly ids = new Map<object, number>();
  private readonly seq: number[] = [];
  private readonly calls: Float64Array[] = [];
  private deadReason: string | undefined;

  constructor(
    memory: object,
    workers: number,
    private readonly options: Options,
  ) {
    this.workers = workers;
    this.control = new SharedArrayBuffer(SLOT * workers);
    for (let w = 0; w < workers; w++) {
      const { port1, port2 } = new MessageChannel();
      this.calls.push(new Float64Array(new SharedArrayBuffer(8 * 256)));
      const worker = new Worker(WORKER, {
        eval: true,
        workerData: {
          control: this.control,
          base: w * SLOT,
          memory,
          port: port2,
          spin: options.workerSpin,
          calls: this.calls[w]!.buffer,
        },
        transferList: [port2],
        stdout: true,
        stderr: true,
      });
      worker.unref();
      port1.unref();
      worker.on("error", (error) => this.die(`worker ${w} failed: ${error.message}`));
      worker.on("exit", (code) => this.die(`worker ${w} exited (code ${code})`));
      this.threads.push(worker);
      this.ports.push(port1);
      this.loaded.push(new Map());
      this.seq.push(0);
    }
  }

  private die(reason: string): void {
    this.deadReason ??= reason;
  }

  get dead(): string | undefined {
    return this.deadReason;
  }

  run(jobs: readonly KernelPoolJob[], local: () => void): void {
    if (jobs.length > this.workers)
      throw new EngineError("invalid-argument", cannot("run", "kernel parts", "more parts than workers"));
    this.check(jobs);
    for (const [w, job] of jobs.entries()) {
      const ctl = this.slot(w);
      let id = this.ids.get(job.module);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(job.module, id);
      }
      if (!this.loaded[w]!.has(job.module)) {
        this.post(w, { id, module: job.module.module, names: job.module.names });
        this.loaded[w]!.set(job.module, id);
      }
      const fn = job.module.names.indexOf(job.fn);
      if (fn < 0) throw new EngineError("invalid-argument", cannot("run", job.fn, `no such function in ${job.name}`));
      if (job.calls.length > this.calls[w]!.length) {
        this.calls[w] = new Float64Array(
          new SharedArrayBuffer(8 * Math.max(job.calls.length, 2 * this.calls[w]!.length)),
        );
        this.post(w, { calls: this.calls[w]!.buffer });
      }
      this.calls[w]!.set(job.calls);
      ctl[CMD] = RUN;
      ctl[MODULE] = id;
      ctl[FN] = fn;
      ctl[NARGS] = job.arity;
      ctl[NCALLS] = job.calls.length / job.arity;
      this.wake(w);
    }
    let localError: unknown;
    try {
      local();
    } catch (error) {
      localError = error;
    }
    const failures = jobs.map((job, w) => this.finish(w, job.fn));
    const failed = failures.find((f) => f !== undefined);
    if (failed !== undefined) throw failed;
    if (localError !== undefined) throw localError;
  }

  /** Makes worker 0 sleep `ms` (tests: a part that outlasts the call's timeout). */
  sleep(ms: number): void {
    const ctl = this.slot(0);
    ctl[CMD] = SLEEP;
    this.calls[0]![0] = ms;
    this.wake(0);
    const failure = this.finish(0, "sleep");
    if (failure !== undefined) throw failure;
  }

  /** Stops the workers (they end their loop; terminate() for one that is stuck). */
  close(): void {
    this.die("the kernel pool was closed");
    for (const [w, worker] of this.threads.entries()) {
      const ctl = this.slot(w);
      ctl[CMD] = STOP;
      this.wake(w);
      void worker.terminate();
      this.ports[w]!.close();
    }
  }

  /** Terminates worker `w` and resolves when it has exited (tests). */
  async terminate(w: number): Promise<void> {
    await this.threads[w]!.terminate();
  }

  // Sends worker w a message it reads (synchronously) when next woken.
  private post(w: number, message: object): void {
    this.ports[w]!.postMessage(message);
    const ctl = this.slot(w);
    ctl[POSTED] = ctl[POSTED]! + 1;
  }

  private check(jobs: readonly KernelPoolJob[]): void {
    if (this.deadReason !== undefined)
      throw new EngineError(
        "backend",
        cannot("run", `${jobs[0]?.fn ?? "a kernel"} on the kernel pool`, this.deadReason),
      );
  }

  private slot(w: number): Int32Array {
    return new Int32Array(this.control, w * SLOT, 16);
  }

  private wake(w: number): void {
    const ctl = this.slot(w);
    this.seq[w] = (this.seq[w]! + 1) | 0;
    Atomics.store(ctl, SEQ, this.seq[w]!);
    Atomics.notify(ctl, SEQ);
  }

  // Waits until worker w reports its part done; the error to throw, if any.
  private finish(w: number, fn: string): EngineError | undefined {
    const ctl = this.slot(w);
    const want = this.seq[w]!;
    for (let n = 0; n < this.options.callerSpin && Atomics.load(ctl, DONE) !== want; n++);
    const start = Date.now();
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done === want) break;
      const waited = Date.now() - start;
      if (waited >= this.options.timeoutMs) {
        const reason = `worker ${w} did not finish within ${this.options.timeoutMs} ms`;
        this.die(reason);
        void this.threads[w]!.terminate();
        return new EngineError("backend", cannot("run", `${fn} on the kernel pool`, reason));
      }
      Atomics.wait(ctl, DONE, done, Math.min(100, this.options.timeoutMs - waited));
    }
    if (ctl[STATUS] === 0) return undefined;
    const message = receiveMessageOnPort(this.ports[w]!)?.message;
    return new EngineError("backend", cannot("run", `${fn} on the kernel pool`, `worker ${w}: ${String(message)}`));
  }
}

/** Starts `workers` kernel-pool workers on the shared WebAssembly memory `memory`. */
export function startKernelPool(memory: object, workers: number): KernelPoolDriver | string {
  if (typeof SharedArrayBuffer === "undefined") return "this Node has no SharedArrayBuffer";
  try {
    return new NodeKernelPool(memory, workers, {
      workerSpin: numberEnv("KERASTORE_KERNEL_POOL_WORKER_SPIN", 0),
      callerSpin: numberEnv("KERASTORE_KERNEL_POOL_CALLER_SPIN", 20_000),
      timeoutMs: numberEnv("KERASTORE_KERNEL_POOL_TIMEOUT_MS", 30_000),
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
