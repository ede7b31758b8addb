/**
 * The kernel pool's worker threads in Node (see ./ops/wasm/kernel-pool.ts for what runs on them).
 *
 * Each worker instantiates the engine's hand-encoded WebAssembly modules on the backend's shared
 * memory and waits, blocked in `Atomics.wait`, on its word of a shared control block. A call
 * writes its chunks (calls of one exported function) into a shared buffer, marks each worker
 * "posted" and notifies it; then the calling thread and every worker that wakes take chunks
 * from a shared counter (`Atomics.add`) until none is left. A worker not yet started when the
 * calling thread runs out of chunks is cancelled (compare-and-swap of its state), so a busy
 * machine, where the worker gets no core, costs a wake-up, not a wait; a worker that did start
 * is waited for (a short spin, then `Atomics.wait` in slices, up to a timeout). A module a
 * worker has not seen travels on a MessageChannel and is read synchronously
 * (`receiveMessageOnPort`) when the worker wakes; a worker's error comes back the same way.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { cannot } from "@kerastore/core";
import { EngineError } from "./errors.js";
import type { KernelPoolDriver, KernelPoolJob } from "./ops/wasm/kernel-pool.js";

// The control block (int32 words): the call's words, then 8 words per worker.
const NEXT = 0; // next chunk to take
const CHUNKS = 1;
const MODULE = 2;
const FN = 3;
const NARGS = 4;
const CMD = 5;
const SLOT = 8; // first worker's words
const [SEQ, STATE, STATUS, POSTED, TAKEN_CHUNKS] = [0, 1, 2, 3, 4]; // within a worker's words
const [IDLE, READY, TAKEN, DONE] = [0, 1, 2, 3];
const [RUN, STOP, SLEEP] = [1, 2, 3];

// CommonJS run with `eval: true`: the worker needs no file that survives the build. The calls
// buffer holds chunks + 1 offsets (in calls), then the calls' arguments.
const WORKER = `
const { workerData, receiveMessageOnPort } = require("node:worker_threads");
const { control, base, memory, port, spin } = workerData;
const ctl = new Int32Array(control);
const me = (i) => base + i;
let calls = new Float64Array(workerData.calls);
const modules = [];
let seq = 0;
let received = 0;
for (;;) {
  for (let n = 0; n < spin && Atomics.load(ctl, me(${SEQ})) === seq; n++);
  Atomics.wait(ctl, me(${SEQ}), seq);
  seq = Atomics.load(ctl, me(${SEQ}));
  if (ctl[${CMD}] === ${STOP}) break;
  let status = 0;
  try {
    for (let m; received < Atomics.load(ctl, me(${POSTED})) && (m = receiveMessageOnPort(port)) !== undefined; received++) {
      const msg = m.message;
      if (msg.calls !== undefined) calls = new Float64Array(msg.calls);
      else {
        const instance = new WebAssembly.Instance(msg.module, { env: { memory } });
        modules[msg.id] = msg.names.map((name) => instance.exports[name]);
      }
    }
    // The calling thread may have run every chunk and cancelled this one meanwhile.
    if (Atomics.compareExchange(ctl, me(${STATE}), ${READY}, ${TAKEN}) !== ${READY}) continue;
    if (ctl[${CMD}] === ${SLEEP}) Atomics.wait(ctl, me(7), 0, calls[0]);
    else {
      const fn = modules[ctl[${MODULE}]] && modules[ctl[${MODULE}]][ctl[${FN}]];
      // A missing function is reported as a failed part (the message is what the caller sees).
      if (typeof fn !== "function") throw "module " + ctl[${MODULE}] + " has no function " + ctl[${FN}];
      const arity = ctl[${NARGS}];
      const chunks = ctl[${CHUNKS}];
      const a = new Array(arity);
      for (let i; (i = Atomics.add(ctl, ${NEXT}, 1)) < chunks; ) {
        for (let at = chunks + 1 + calls[i] * arity, end = chunks + 1 + calls[i + 1] * arity; at < end; ) {
          for (let k = 0; k < arity; k++) a[k] = calls[at++];
          fn(...a);
        }
        ctl[me(4)]++;
      }
    }
  } catch (error) {
    status = 1;
    port.postMessage(String(error && error.message !== undefined ? error.message : error));
  }
  ctl[me(${STATUS})] = status;
  Atomics.store(ctl, me(${STATE}), ${DONE});
  Atomics.notify(ctl, me(${STATE}));
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
  private readonly ctl: Int32Array;
  private readonly threads: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly loaded: Set<object>[] = [];
  private readonly ids = new Map<object, number>();
  private calls = new Float64Array(new SharedArrayBuffer(8 * 1024));
  private deadReason: string | undefined;

  constructor(
    memory: object,
    workers: number,
    private readonly options: Options,
  ) {
    this.workers = workers;
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * (SLOT + 8 * workers)));
    for (let w = 0; w < workers; w++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER, {
        eval: true,
        workerData: {
          control: this.ctl.buffer,
          base: SLOT + 8 * w,
          memory,
          port: port2,
          spin: options.workerSpin,
          calls: this.calls.buffer,
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
      this.loaded.push(new Set());
    }
  }

  private die(reason: string): void {
    this.deadReason ??= reason;
  }

  get dead(): string | undefined {
    return this.deadReason;
  }

  run(job: KernelPoolJob, runChunk: (i: number) => void): void {
    const what = `${job.name}.${job.fn} on the kernel pool`;
    if (this.deadReason !== undefined) throw new EngineError("backend", cannot("run", what, this.deadReason));
    const fn = job.module.names.indexOf(job.fn);
    if (fn < 0) throw new EngineError("invalid-argument", cannot("run", job.fn, `no such function in ${job.name}`));
    const chunks = job.chunks.length;
    const helpers = Math.min(this.workers, chunks - 1);
    let id = this.ids.get(job.module);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(job.module, id);
    }
    // Offsets (in calls), then the arguments.
    const size = chunks + 1 + job.chunks.reduce((n, c) => n + c.length, 0);
    if (size > this.calls.length) {
      this.calls = new Float64Array(new SharedArrayBuffer(8 * Math.max(size, 2 * this.calls.length)));
      for (let w = 0; w < this.workers; w++) this.post(w, { calls: this.calls.buffer });
    }
    for (let i = 0, at = chunks + 1, done = 0; i < chunks; i++) {
      this.calls[i] = done;
      this.calls.set(job.chunks[i]!, at);
      at += job.chunks[i]!.length;
      done += job.chunks[i]!.length / job.arity;
      this.calls[i + 1] = done;
    }
    const ctl = this.ctl;
    ctl[MODULE] = id;
    ctl[FN] = fn;
    ctl[NARGS] = job.arity;
    ctl[CHUNKS] = chunks;
    ctl[CMD] = RUN;
    Atomics.store(ctl, NEXT, 0);
    for (let w = 0; w < helpers; w++) {
      if (!this.loaded[w]!.has(job.module)) {
        this.post(w, { id, module: job.module.module, names: job.module.names });
        this.loaded[w]!.add(job.module);
      }
      this.wake(w);
    }
    let localError: unknown;
    try {
      for (let i = Atomics.add(ctl, NEXT, 1); i < chunks; i = Atomics.add(ctl, NEXT, 1)) runChunk(i);
    } catch (error) {
      localError = error;
      // Leave the workers nothing more to start.
      Atomics.store(ctl, NEXT, chunks);
    }
    let failed: EngineError | undefined;
    for (let w = 0; w < helpers; w++) failed ??= this.finish(w, what);
    if (failed !== undefined) throw failed;
    if (localError !== undefined)
      throw new EngineError(
        "backend",
        cannot("run", what, localError instanceof Error ? localError.message : String(localError)),
        { cause: localError },
      );
  }

  /** Chunks each worker has run so far (tests, profiles). */
  workerChunks(): number[] {
    return this.threads.map((_, w) => Atomics.load(this.ctl, this.at(w, TAKEN_CHUNKS)));
  }

  /** Makes worker 0 sleep `ms` (tests: a part that outlasts the call's timeout). */
  sleep(ms: number): void {
    this.ctl[CMD] = SLEEP;
    this.calls[0] = ms;
    this.wake(0);
    // Not cancelled: wait for it to take the part.
    while (Atomics.load(this.ctl, this.at(0, STATE)) === READY) Atomics.wait(this.ctl, this.at(0, STATE), READY, 10);
    const failure = this.finish(0, "sleep on the kernel pool");
    if (failure !== undefined) throw failure;
  }

  /** Stops the workers. */
  close(): void {
    this.die("the kernel pool was closed");
    this.ctl[CMD] = STOP;
    for (const [w, worker] of this.threads.entries()) {
      this.wake(w);
      void worker.terminate();
      this.ports[w]!.close();
    }
  }

  /** Terminates worker `w` and resolves when it has exited (tests). */
  async terminate(w: number): Promise<void> {
    await this.threads[w]!.terminate();
  }

  private at(w: number, word: number): number {
    return SLOT + 8 * w + word;
  }

  // Sends worker w a message it reads (synchronously) when next woken.
  private post(w: number, message: object): void {
    this.ports[w]!.postMessage(message);
    Atomics.add(this.ctl, this.at(w, POSTED), 1);
  }

  private wake(w: number): void {
    Atomics.store(this.ctl, this.at(w, STATE), READY);
    Atomics.add(this.ctl, this.at(w, SEQ), 1);
    Atomics.notify(this.ctl, this.at(w, SEQ));
  }

  // Cancels worker w if it has not started, else waits until it is done; the error to throw, if any.
  private finish(w: number, what: string): EngineError | undefined {
    const ctl = this.ctl;
    const state = this.at(w, STATE);
    if (Atomics.compareExchange(ctl, state, READY, IDLE) === READY) return undefined;
    for (let n = 0; n < this.options.callerSpin && Atomics.load(ctl, state) !== DONE; n++);
    const start = Date.now();
    for (;;) {
      const now = Atomics.load(ctl, state);
      if (now === DONE) break;
      const waited = Date.now() - start;
      if (waited >= this.options.timeoutMs) {
        const reason = `worker ${w} did not finish within ${this.options.timeoutMs} ms`;
        this.die(reason);
        void this.threads[w]!.terminate();
        return new EngineError("backend", cannot("run", what, reason));
      }
      Atomics.wait(ctl, state, now, Math.min(100, this.options.timeoutMs - waited));
    }
    Atomics.store(ctl, state, IDLE);
    if (ctl[this.at(w, STATUS)] === 0) return undefined;
    const message = receiveMessageOnPort(this.ports[w]!)?.message;
    return new EngineError("backend", cannot("run", what, `worker ${w}: ${String(message)}`));
  }
}

/** Starts `workers` kernel-pool workers on the shared WebAssembly memory `memory`. */
export function startKernelPool(memory: object, workers: number): KernelPoolDriver | string {
  if (typeof SharedArrayBuffer === "undefined") return "this Node has no SharedArrayBuffer";
  try {
    return new NodeKernelPool(memory, workers, {
      workerSpin: numberEnv("KERASTORE_KERNEL_POOL_WORKER_SPIN", 0),
      callerSpin: numberEnv("KERASTORE_KERNEL_POOL_CALLER_SPIN", 2000),
      timeoutMs: numberEnv("KERASTORE_KERNEL_POOL_TIMEOUT_MS", 30_000),
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
