// Helpers to encode small WebAssembly modules by hand (binary format, SIMD included) and to
// instantiate them on the memory of the running tfjs-backend-wasm module, so their functions
// read and write tensors where they are (threaded build or not). Used by kernels whose loops
// are worth running as WebAssembly SIMD but which tfjs does not have (./batch-norm-simd.ts,
// ./simd-adam.ts).

/** Unsigned LEB128. */
export function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (i32 constants). */
export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const str = (s: string) => [...leb(s.length), ...[...s].map((c) => c.charCodeAt(0))];

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Instructions used by the encoders (each returns its bytes). */
export const op = {
  get: (i: number) => [0x20, ...leb(i)],
  set: (i: number) => [0x21, ...leb(i)],
  tee: (i: number) => [0x22, ...leb(i)],
  i32: (n: number) => [0x41, ...sleb(n)],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32Eq: [0x46],
  i32GeU: [0x4f],
  i32GtU: [0x4b],
  select: [0x1b],
  /** block + loop; `body` leaves with `br_if 1` (see {@link exitIf}) and repeats with `br 0`. */
  loop: (body: number[]) => [0x02, 0x40, 0x03, 0x40, ...body, 0x0c, 0, 0x0b, 0x0b],
  /** Leaves the innermost {@link op.loop} when the i32 on the stack is non-zero. */
  exitIf: [0x0d, 1],
  simd: (code: number) => [0xfd, ...leb(code)],
  /** v128.load of [address on the stack + offset]. */
  load: (offset = 0) => [0xfd, 0x00, 4, ...leb(offset)],
  /** v128.load64_zero: 8 bytes at [address on the stack + offset] into the low half. */
  load64Zero: (offset = 0) => [0xfd, 0x5d, 3, ...leb(offset)],
  /** v128.store of the value on the stack at [address below it + offset]. */
  store: (offset = 0) => [0xfd, 0x0b, 4, ...leb(offset)],
  /** A v128 of zero bits. */
  zero: [0xfd, 0x0c, ...new Array<number>(16).fill(0)],
  /** i8x16.shuffle of the two v128 on the stack. */
  shuffle: (lanes: number[]) => [0xfd, 0x0d, ...lanes],
};

/** SIMD opcodes (after the 0xfd prefix). */
export const SIMD = {
  f32x4Splat: 0x13,
  f64x2Splat: 0x14,
  f32x4DemoteF64x2Zero: 0x5e,
  f64x2PromoteLowF32x4: 0x5f,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f64x2Add: 0xf0,
  f64x2Sub: 0xf1,
  f64x2Mul: 0xf2,
  /** Relaxed SIMD: a * b + c (the three v128 on the stack), fused where the processor can. */
  f32x4RelaxedMadd: 0x105,
} as const;

// A module whose one function is f32x4.relaxed_madd of its three v128 parameters: it validates
// where the runtime has relaxed SIMD switched on.
const RELAXED_PROBE = new Uint8Array([
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 8, 1, 0x60, 3, 0x7b, 0x7b, 0x7b, 1, 0x7b, 3, 2, 1, 0, 10, 13, 1, 11, 0, 0x20, 0,
  0x20, 1, 0x20, 2, 0xfd, 0x85, 0x02, 0x0b,
]);
let relaxed: boolean | undefined;

/**
 * Whether modules may use relaxed SIMD (fused multiply-add: ./gemm-simd.ts): the runtime
 * validates it (Chrome 114+, Node 22+; Node 20 once `--experimental-wasm-relaxed-simd` is on,
 * which the engine's Node hooks turn on) and `KERASTORE_WASM_RELAXED_SIMD` is not "0". Asked
 * again until it holds (the flag may be turned on after a first look).
 */
export function relaxedSimd(): boolean {
  if (relaxed === true) return true;
  if (envVar("KERASTORE_WASM_RELAXED_SIMD") === "0" || wasmApi === undefined) return false;
  relaxed = relaxedSimdValidates();
  return relaxed;
}

/** Whether this runtime's WebAssembly validates a relaxed-SIMD instruction now (no switch read). */
export function relaxedSimdValidates(): boolean {
  try {
    return (
      (globalThis as { WebAssembly?: { validate(b: Uint8Array): boolean } }).WebAssembly?.validate(RELAXED_PROBE) ===
      true
    );
  } catch {
    return false;
  }
}

/** One exported function: its parameters, extra locals ([count, type] runs) and body. */
export interface WasmFunction {
  name: string;
  params: number[];
  locals: [number, number][];
  code: number[];
}

/**
 * A module importing `env.memory` (with `memoryLimits`, see {@link instantiateOnBackend}) and
 * exporting `functions` (no results).
 */
export function encodeModule(functions: WasmFunction[], memoryLimits: number[]): Uint8Array {
  const body = (fn: WasmFunction) => {
    const b = [...vec(fn.locals.map(([n, t]) => [...leb(n), t])), ...fn.code, 0x0b];
    return [...leb(b.length), ...b];
  };
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(functions.map((fn) => [0x60, ...vec(fn.params.map((t) => [t])), 0]))),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, ...memoryLimits]])),
    ...section(3, vec(functions.map((_, i) => leb(i)))),
    ...section(7, vec(functions.map((fn, i) => [...str(fn.name), 0x00, ...leb(i)]))),
    ...section(10, vec(functions.map(body))),
  ]);
}

// The WebAssembly API (the engine is typed without DOM or Node globals).
interface WebAssemblyApi {
  Memory: abstract new (...args: never[]) => { buffer: ArrayBufferLike };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;

/** The backend module's memory: the threaded build keeps it on the module, the other in `asm`. */
export function backendMemory(backend: object): { buffer: ArrayBufferLike } | undefined {
  const module = (backend as { wasm?: { wasmMemory?: unknown; asm?: { memory?: unknown } } }).wasm;
  const memory = module?.wasmMemory ?? module?.asm?.memory;
  return wasmApi !== undefined && memory instanceof wasmApi.Memory ? memory : undefined;
}

const instances = new WeakMap<object, Map<string, unknown>>();

/** A compiled module on a shared memory, with its exports' names (for ./kernel-pool.ts's workers). */
export interface SharedKernelModule {
  readonly module: object;
  readonly names: readonly string[];
}
const sharedModules = new WeakMap<object, Map<string, SharedKernelModule>>();

/**
 * The module {@link instantiateOnBackend} made under `name` on `backend`, when the backend's
 * memory is shared (the threaded build) and so other threads can instantiate it on that memory.
 */
export function sharedKernelModule(backend: object, name: string): SharedKernelModule | undefined {
  return sharedModules.get(backend)?.get(name);
}

/** The exports {@link instantiateOnBackend} made under `name` on `backend` (undefined: not asked yet). */
export function backendExports(backend: object, name: string): unknown {
  return instances.get(backend)?.get(name);
}

/**
 * The exports of the module `encode` builds, instantiated on `backend`'s memory (once per
 * backend and `name`), or null where it cannot run: no WebAssembly, a backend without its
 * memory in reach, no SIMD support (the module does not compile), or the environment variable
 * `envSwitch` set to "0".
 */
export function instantiateOnBackend<T>(
  backend: object,
  name: string,
  envSwitch: string,
  encode: (memoryLimits: number[]) => Uint8Array,
): T | null {
  let known = instances.get(backend);
  if (known === undefined) {
    known = new Map();
    instances.set(backend, known);
  }
  if (known.has(name)) return known.get(name) as T | null;
  let made: T | null = null;
  try {
    const memory = backendMemory(backend);
    if (wasmApi !== undefined && memory !== undefined && envVar(envSwitch) !== "0") {
      // A shared memory (the threaded build) must be imported as shared, with a maximum.
      const shared = typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
      const limits = shared ? [0x03, 1, ...leb(65536)] : [0x00, 1];
      const module = new wasmApi.Module(encode(limits));
      const instance = new wasmApi.Instance(module, { env: { memory } });
      made = instance.exports as T;
      if (shared) {
        const own = sharedModules.get(backend) ?? new Map<string, SharedKernelModule>();
        sharedModules.set(backend, own);
        own.set(name, { module, names: Object.keys(instance.exports as object) });
      }
    }
  } catch {
    made = null;
  }
  known.set(name, made);
  return made;
}

/** An environment variable where the runtime has `process.env` (Node), else undefined. */
export function envVar(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}
