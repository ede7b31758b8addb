import { type HostTensor, KerastoreError, cannot } from "@kerastore/core";
import type { NodeAttrs } from "./attrs.js";
import { CONTROL_FLOW_OPS, runControlFlow } from "./control-flow.js";
import { SavedModelError } from "./errors.js";
import { type FunctionPlan, type TensorRef, planFunction } from "./function-plan.js";
import type { SavedConcreteFunction, SavedModelInfo } from "./saved-model.js";
import { formatPartialShape, shapeFits } from "./shape.js";
import { type Packed, type Structure, type TensorSpec, flattenSpecs, packStructure } from "./structure.js";
import { decodeTensorProto } from "./tensor-proto.js";

/** What a kernel returns: outputs in order, or by output argument name for multi-output ops. */
export type KernelOutputs<T> = readonly T[] | { readonly [outArg: string]: readonly T[] };

/** Where a kernel runs, for its own messages. */
export interface KernelContext {
  readonly node: string;
  readonly op: string;
  readonly functionName: string;
}

/** Computes one op on the caller's tensor type; no tensor math lives in this package. */
export type Kernel<T> = (inputs: readonly T[], attrs: NodeAttrs, ctx: KernelContext) => KernelOutputs<T>;

/** Where a captured value comes from. */
export interface CaptureSource {
  readonly kind: "variable" | "constant";
  readonly name: string;
  readonly nodeId: number;
}

/** The tensor side of a runner: kernels by op name, and how saved values become tensors. */
export interface RunnerBackend<T> {
  readonly kernels: Readonly<Record<string, Kernel<T>>>;
  /**
   * Turns a captured value (a variable's saved value, a saved constant) into a tensor. Called
   * once per captured object; the runner keeps the result for every later call, so the caller
   * owns its lifetime.
   */
  capture(value: HostTensor, source: CaptureSource): T;
  /** The dtype and shape of a tensor, to check inputs against signatures (skipped when absent). */
  describe?(tensor: T): { readonly dtype: string; readonly shape: readonly number[] };
  /** The truth of a scalar boolean tensor, for `While` and `If` (unsupported without it). */
  truthy?(tensor: T): boolean;
  /** The value of a scalar integer tensor, for `Case` (unsupported without it). */
  scalar?(tensor: T): number;
  /** The most iterations a `While` loop may run before it is an error (default 1,000,000). */
  readonly maxIterations?: number;
}

/** Runs the functions of a SavedModel on a backend. */
export interface FunctionRunner<T> {
  readonly info: SavedModelInfo;
  /** Runs a concrete function on its own inputs in order (captured inputs are bound); flat outputs. */
  runConcrete(name: string, inputs: readonly T[]): T[];
  /** Runs a serving signature on named inputs; outputs by the signature's output keys. */
  runSignature(key: string, inputs: Readonly<Record<string, T>>): Record<string, T>;
  /**
   * Calls a function of the root object (`serve`, `__call__`) with positional tensors, picking
   * the first concrete function whose inputs fit; returns the output structure it was saved with.
   */
  callFunction(name: string, args: readonly CallArgument<T>[]): Packed<T>;
  /** The concrete function `callFunction` would run for these arguments, and its tensor inputs. */
  bindCall(name: string, args: readonly CallArgument<T>[]): BoundCall<T>;
}

/** A Python value given for a non-tensor argument (`training=False`, `scale=2.0`, `None`). */
export type PythonValue = boolean | number | string | null;

/**
 * An argument of a root function call: a tensor (an object of the backend's tensor type) or a
 * Python value, matched against the values each saved trace was made with.
 */
export type CallArgument<T> = T | PythonValue;

/** A call bound to one saved trace. */
export interface BoundCall<T> {
  readonly concrete: SavedConcreteFunction;
  /** The tensor inputs in the trace's order (captures not included). */
  readonly inputs: readonly T[];
}

/** Function calls nesting deeper than this are refused (a function calling itself). */
const MAX_CALL_DEPTH = 64;
const CALL_OPS = new Set(["StatefulPartitionedCall", "PartitionedCall"]);

/** Creates a runner for the functions of `info` over `backend`. */
export function createFunctionRunner<T>(info: SavedModelInfo, backend: RunnerBackend<T>): FunctionRunner<T> {
  const plans = new Map<string, FunctionPlan>();
  const captures = new Map<number, T>();

  const planOf = (name: string, caller: string): FunctionPlan => {
    let plan = plans.get(name);
    if (plan !== undefined) return plan;
    const def = info.library.get(name);
    if (def === undefined)
      throw new SavedModelError(
        "corrupt",
        cannot("run", caller, `function ${name} is not in the library of ${info.where}`),
      );
    plan = planFunction(def);
    plans.set(name, plan);
    return plan;
  };

  const captureOf = (id: number, fn: string): T => {
    const cached = captures.get(id);
    if (cached !== undefined) return cached;
    const object = info.objects[id]!;
    const place = `captured input node ${id} of function ${fn}`;
    let value: HostTensor;
    let source: CaptureSource;
    if (object.kind === "variable") {
      const v = info.variables.find((x) => x.nodeId === id)!;
      if (v.value === undefined) {
        throw new SavedModelError(
          "invalid-argument",
          cannot("run", `function ${fn}`, `variable ${v.name} was read without its value`, "read with values: true"),
        );
      }
      value = v.value;
      source = { kind: "variable", name: v.name, nodeId: id };
    } else if (object.kind === "constant") {
      const node = info.graph?.node.find((n) => n.name === object.operation);
      const tensor = node?.op === "Const" ? node.attr["value"] : undefined;
      if (tensor === undefined || tensor.value.case !== "tensor") {
        throw new SavedModelError(
          "corrupt",
          cannot("run", place, `constant ${object.operation} is not a Const node of the graph`),
        );
      }
      value = decodeTensorProto(tensor.value.value, `constant ${object.operation}`);
      source = { kind: "constant", name: object.operation, nodeId: id };
    } else {
      throw new SavedModelError(
        "unsupported",
        cannot(
          "run",
          `function ${fn}`,
          `it captures a ${object.kind} (node ${id}); only variables and constants are bound`,
        ),
      );
    }
    const t = backend.capture(value, source);
    captures.set(id, t);
    return t;
  };

  const run = (name: string, args: readonly T[], depth: number, caller: string): T[] => {
    if (depth > MAX_CALL_DEPTH)
      throw new SavedModelError("corrupt", cannot("run", caller, `function calls nest deeper than ${MAX_CALL_DEPTH}`));
    const plan = planOf(name, caller);
    if (args.length !== plan.inputNames.length) {
      throw new SavedModelError(
        "corrupt",
        cannot("run", caller, `function ${name} takes ${plan.inputNames.length} inputs, ${args.length} given`),
      );
    }
    const values = new Map<string, KernelOutputs<T>>();
    const read = (ref: TensorRef, place: string): T => {
      if (ref.kind === "arg") return args[ref.index]!;
      const out = values.get(ref.node)!;
      const list = Array.isArray(out) ? out : (out as { readonly [k: string]: readonly T[] })[ref.outArg];
      const t = list !== undefined && Object.hasOwn(list, ref.index) ? (list as readonly T[])[ref.index] : undefined;
      if (t === undefined) {
        throw new SavedModelError(
          "corrupt",
          cannot("run", place, `node ${ref.node} has no output ${ref.outArg}:${ref.index}`),
        );
      }
      return t;
    };
    for (const node of plan.order) {
      const place = `node ${node.name} (${node.op}) of function ${name}`;
      const inputs = node.inputs.map((r) => read(r, place));
      if (CALL_OPS.has(node.op)) {
        values.set(node.name, run(node.attrs.func("f"), inputs, depth + 1, place));
      } else if (CONTROL_FLOW_OPS.has(node.op)) {
        const call = (fn: string, args: readonly T[]) => run(fn, args, depth + 1, place);
        const truthy = backend.truthy === undefined ? undefined : (t: T) => backend.truthy!(t);
        const scalar = backend.scalar === undefined ? undefined : (t: T) => backend.scalar!(t);
        values.set(
          node.name,
          runControlFlow(node, inputs, {
            call,
            truthy,
            scalar,
            maxIterations: backend.maxIterations ?? 1_000_000,
            place,
          }),
        );
      } else if (info.library.has(node.op)) {
        values.set(node.name, run(node.op, inputs, depth + 1, place));
      } else {
        const kernel = Object.hasOwn(backend.kernels, node.op) ? backend.kernels[node.op] : undefined;
        if (kernel === undefined) {
          throw new SavedModelError(
            "unsupported",
            cannot("run", place, `op ${node.op} has no kernel`, "add one to the kernel table"),
          );
        }
        try {
          values.set(node.name, kernel(inputs, node.attrs, { node: node.name, op: node.op, functionName: name }));
        } catch (error) {
          if (error instanceof KerastoreError) throw error;
          throw new SavedModelError(
            "kernel-failed",
            cannot("run", place, error instanceof Error ? error.message : String(error)),
            { cause: error },
          );
        }
      }
    }
    return plan.outputs.map((r, i) => read(r, `output ${plan.outputNames[i]} of function ${name}`));
  };

  const checkInputs = (
    specs: readonly TensorSpec[],
    inputs: readonly T[],
    labels: readonly string[],
    fn: string,
  ): string | undefined => {
    if (backend.describe === undefined) return undefined;
    for (const [i, spec] of specs.entries()) {
      const { dtype, shape } = backend.describe(inputs[i]!);
      if (dtype !== spec.dtype || !shapeFits(shape, spec.shape)) {
        return `input ${labels[i]} of ${fn} must be ${spec.dtype} ${formatPartialShape(spec.shape)}, got ${dtype} [${shape.join(", ")}]`;
      }
    }
    return undefined;
  };

  const concrete = (name: string): SavedConcreteFunction => {
    const cf = info.concreteFunctions.get(name);
    if (cf === undefined)
      throw new SavedModelError(
        "not-found",
        cannot("run", `function ${name}`, `${info.where} has no such concrete function`),
      );
    return cf;
  };

  const runConcrete = (name: string, inputs: readonly T[]): T[] => {
    const cf = concrete(name);
    return run(name, [...inputs, ...cf.boundInputs.map((id) => captureOf(id, name))], 0, `function ${name}`);
  };

  const bindCall = (name: string, args: readonly CallArgument<T>[]): BoundCall<T> => {
    const edge = info.objects[0]!.children.find((c) => c.name === name);
    const fns = Object.hasOwn(info.rootFunctions, name) ? info.rootFunctions[name]! : undefined;
    if (fns === undefined || edge === undefined) {
      throw new SavedModelError(
        "not-found",
        cannot(
          "call",
          name,
          `the root object of ${info.where} has no such function; it has ${Object.keys(info.rootFunctions).join(", ") || "none"}`,
        ),
      );
    }
    const { argNames, defaults } = info.objects[edge.id]!;
    const defaultAt = (i: number): PythonValue | undefined => {
      const d = defaults[i - (argNames.length - defaults.length)];
      if (d === undefined) return undefined;
      if (d.kind === "none") return null;
      return d.kind === "value" ? (typeof d.value === "bigint" ? Number(d.value) : d.value) : undefined;
    };
    const reasons: string[] = [];
    for (const fn of fns) {
      const cf = concrete(fn);
      const sig = cf.inputSignature;
      const positional =
        sig.kind === "tuple" && (sig.items[0]?.kind === "tuple" || sig.items[0]?.kind === "list")
          ? sig.items[0].items
          : undefined;
      const keyed = sig.kind === "tuple" && sig.items[1]?.kind === "dict" ? sig.items[1].fields.length : 0;
      // Positional binding: tensors and Python values in order, missing trailing ones from defaults.
      if (
        positional !== undefined &&
        keyed === 0 &&
        args.length <= positional.length &&
        positional.every((p) => p.kind !== "list" && p.kind !== "tuple" && p.kind !== "dict")
      ) {
        const filled = positional.map((_, i) => (i < args.length ? args[i] : defaultAt(i)));
        const mismatch = positional.findIndex((p, i) =>
          p.kind === "tensor"
            ? !isTensor(filled[i])
            : isTensor(filled[i]) || !valueEquals(p, filled[i] as PythonValue | undefined),
        );
        if (mismatch < 0) {
          const tensors = filled.filter((a): a is T => isTensor(a));
          const bad = checkInputs(
            flattenSpecs(sig),
            tensors,
            flattenSpecs(sig).map((s, i) => s.name || String(i)),
            fn,
          );
          if (bad === undefined) return { concrete: cf, inputs: tensors };
          reasons.push(bad);
        } else {
          reasons.push(
            `${fn} wants ${describeStructure(positional[mismatch]!)} for argument ${argNames[mismatch] ?? mismatch}`,
          );
        }
        continue;
      }
      // Flat binding: nested inputs (a list of model inputs) given as their tensors in order.
      const specs = flattenSpecs(sig);
      const tensors = args.filter((a): a is T => isTensor(a));
      if (tensors.length !== args.length || specs.length !== args.length) {
        reasons.push(`${fn} takes ${specs.length} tensors`);
        continue;
      }
      const valuesDefault = (positional ?? []).every(
        (p, i) =>
          (p.kind !== "value" && p.kind !== "none") || defaultAt(i) === undefined || valueEquals(p, defaultAt(i)),
      );
      if (!valuesDefault) {
        reasons.push(`${fn} was traced with non-default Python arguments`);
        continue;
      }
      const bad = checkInputs(
        specs,
        tensors,
        specs.map((s, i) => s.name || String(i)),
        fn,
      );
      if (bad === undefined) return { concrete: cf, inputs: tensors };
      reasons.push(bad);
    }
    throw new SavedModelError(
      "invalid-argument",
      cannot(
        "call",
        name,
        `no saved trace fits these ${args.length} arguments: ${reasons.join("; ") || "it has no traces"}`,
      ),
    );
  };

  return {
    info,
    runConcrete,
    runSignature(key, inputs) {
      const sig = Object.hasOwn(info.signatures, key) ? info.signatures[key] : undefined;
      const callable = Object.keys(info.signatures).filter((k) => info.signatures[k]!.functionName !== undefined);
      if (sig === undefined || sig.functionName === undefined) {
        throw new SavedModelError(
          "not-found",
          cannot(
            "run",
            `signature ${key}`,
            `${info.where} has no callable signature of that name; it has ${callable.join(", ") || "none"}`,
          ),
        );
      }
      const cf = concrete(sig.functionName);
      const specs = flattenSpecs(cf.inputSignature);
      const keys = keywordNames(cf.inputSignature, specs);
      const given = Object.keys(inputs).sort();
      if (given.join("\0") !== [...keys].sort().join("\0")) {
        throw new SavedModelError(
          "invalid-argument",
          cannot("run", `signature ${key}`, `it takes inputs [${keys.join(", ")}], given [${given.join(", ")}]`),
        );
      }
      const flat = keys.map((k) => inputs[k]!);
      const bad = checkInputs(specs, flat, keys, `signature ${key}`);
      if (bad !== undefined) throw new SavedModelError("invalid-argument", cannot("run", `signature ${key}`, bad));
      const outputs = runConcrete(sig.functionName, flat);
      const names =
        cf.outputSignature.kind === "dict"
          ? cf.outputSignature.fields.map(([k]) => k)
          : Object.keys(sig.outputs).sort();
      if (names.length !== outputs.length) {
        throw new SavedModelError(
          "corrupt",
          cannot("run", `signature ${key}`, `${outputs.length} outputs for ${names.length} output names`),
        );
      }
      return Object.fromEntries(names.map((n, i) => [n, outputs[i]!]));
    },
    callFunction(name, args) {
      const bound = bindCall(name, args);
      return packStructure(bound.concrete.outputSignature, runConcrete(bound.concrete.name, bound.inputs));
    },
    bindCall,
  };
}

function isTensor<T>(a: CallArgument<T> | undefined): a is T {
  return typeof a === "object" && a !== null;
}

/** Whether a Python value equals what a trace recorded (a float 1.0 equals the number 1). */
function valueEquals(recorded: Structure, given: PythonValue | undefined): boolean {
  if (recorded.kind === "none") return given === null;
  if (recorded.kind !== "value" || given === undefined || given === null) return false;
  if (typeof recorded.value === "bigint")
    return typeof given === "number" && Number.isInteger(given) && BigInt(given) === recorded.value;
  return recorded.value === given;
}

function describeStructure(s: Structure): string {
  if (s.kind === "tensor") return `a ${s.spec.dtype} ${formatPartialShape(s.spec.shape)} tensor`;
  if (s.kind === "value") return JSON.stringify(typeof s.value === "bigint" ? Number(s.value) : s.value);
  return s.kind === "none" ? "None" : `a ${s.kind}`;
}

/** The keyword of each flattened input: top-level kwargs keys, else the spec's own name. */
function keywordNames(signature: Structure, specs: readonly TensorSpec[]): string[] {
  if (signature.kind === "tuple" && signature.items.length === 2) {
    const [args, kwargs] = signature.items;
    if (args !== undefined && kwargs?.kind === "dict") {
      const positional = flattenSpecs(args).map((s) => s.name);
      const keyed = kwargs.fields.flatMap(([k, s]) => flattenSpecs(s).map(() => k));
      return [...positional, ...keyed];
    }
  }
  return specs.map((s) => s.name);
}
