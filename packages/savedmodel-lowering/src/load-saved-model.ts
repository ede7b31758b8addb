import { type HostTensor, type Store, cannot } from "@kerastore/core";
import { initBackend, tf } from "@kerastore/engine";
import {
  type FunctionRunner,
  type Packed,
  type PythonValue,
  type ReadSavedModelOptions,
  type SavedConcreteFunction,
  type SavedModelInfo,
  type SavedModelVariable,
  createFunctionRunner,
  flattenSpecs,
  packStructure,
  readSavedModel,
} from "@kerastore/savedmodel";
import { LoweringError } from "./errors.js";
import { toHost, toTfjs } from "./host-tensors.js";
import { type GraphValue, TensorList } from "./tensor-list.js";
import { tfjsKernels } from "./tfjs-kernels.js";

/** Options of `loadSavedModel`. */
export interface LoadSavedModelOptions extends ReadSavedModelOptions {
  /** The most iterations one `While` loop may run before the call fails (default 1,000,000). */
  readonly maxIterations?: number;
}

/** A variable of a loaded SavedModel. */
export interface LoadedVariable {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly trainable: boolean;
  readonly value: HostTensor;
}

/** A serving signature: named inputs in, named outputs out. */
export type SignatureFunction = (inputs: Readonly<Record<string, HostTensor>>) => Promise<Record<string, HostTensor>>;
/**
 * A function of the root object (`serve`, `__call__`): positional arguments in (tensors, and
 * Python values such as `training` flags, defaulted as Python does), the saved output structure out.
 */
export type SavedFunction = (...args: (HostTensor | PythonValue)[]) => Promise<Packed<HostTensor>>;

/** A SavedModel loaded as plain callable graphs, like Python's `tf.saved_model.load`. */
export interface LoadedSavedModel {
  /** The meta graph's tags (`["serve"]`). */
  readonly tags: readonly string[];
  /** Callable serving signatures by key (`serving_default`; Keras exports add `serve`). */
  readonly signatures: Readonly<Record<string, SignatureFunction>>;
  /** The root object's functions by attribute name (`serve` of a Keras export, `__call__` of a tf.Module). */
  readonly functions: Readonly<Record<string, SavedFunction>>;
  /** The variables with their saved values, as Python's `loaded.variables` lists them. */
  readonly variables: readonly LoadedVariable[];
  /** Everything read from the directory (object graph, concrete functions, library). */
  readonly info: SavedModelInfo;
  /** Frees the backend tensors holding the captured variables. Idempotent. */
  dispose(): void;
  /** `using graph = await keras.savedModel.load(...)` frees it at the end of the scope. */
  [Symbol.dispose](): void;
}

/** A SavedModel directory: a path inside a store. */
export interface SavedModelLocation {
  readonly store: Store;
  readonly path: string;
}

function describeLocation({ store, path }: SavedModelLocation): string {
  return store.description === "memory" || store.description === "blob" ? path : `${store.description}/${path}`;
}

/**
 * Loads a SavedModel directory (TensorFlow 2 `tf.saved_model.save`, Keras 3 `model.export`) and
 * runs its functions on the tfjs backend, with no Keras model rebuilt: a graph-only load.
 *
 * (The `kerastore` facade's `keras.savedModel.load` takes a path, URL or blob as well.)
 */
export async function loadSavedModel(
  location: SavedModelLocation,
  options: LoadSavedModelOptions = {},
): Promise<LoadedSavedModel> {
  await initBackend();
  const info = await readSavedModel(location.store, location.path, options);
  const captured = new Set<tf.Tensor>();
  const origin = new WeakMap<tf.Tensor, string>();
  const runner: FunctionRunner<GraphValue> = createFunctionRunner<GraphValue>(info, {
    kernels: tfjsKernels,
    capture: (value, source) => {
      const t = tf.keep(toTfjs(value, `${source.kind} ${source.name} of ${describeLocation(location)}`));
      captured.add(t);
      return t;
    },
    describe: (t) =>
      t instanceof TensorList ? { dtype: "variant", shape: [] } : { dtype: origin.get(t) ?? t.dtype, shape: t.shape },
    truthy: (t) => t instanceof tf.Tensor && t.size === 1 && t.dataSync()[0] !== 0,
    scalar: (t) => (t instanceof tf.Tensor && t.size === 1 ? Number(t.dataSync()[0]) : Number.NaN),
    ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
  });

  const input = (t: HostTensor, label: string): tf.Tensor => {
    if (t === null || typeof t !== "object" || !("dtype" in t) || !("shape" in t)) {
      throw new LoweringError(
        "invalid-argument",
        cannot("run", label, "inputs must be HostTensors ({ dtype, shape, data })"),
      );
    }
    const out = toTfjs(t, label);
    origin.set(out, t.dtype);
    return out;
  };
  const release = (t: tf.Tensor): void => {
    if (!captured.has(t)) t.dispose();
  };

  const signatures: Record<string, SignatureFunction> = {};
  for (const [key, sig] of Object.entries(info.signatures)) {
    if (sig.functionName === undefined) continue;
    signatures[key] = async (inputs) => {
      const outputs = tf.tidy(() => {
        const tensors = Object.fromEntries(
          Object.entries(inputs).map(([k, v]) => [k, input(v, `input ${k} of signature ${key}`)]),
        );
        const out = runner.runSignature(key, tensors);
        return Object.fromEntries(
          Object.entries(out).map(([k, v]) => [k, tensorOutput(v, `output ${k} of signature ${key}`)]),
        );
      });
      const host: Record<string, HostTensor> = {};
      try {
        for (const [k, t] of Object.entries(outputs)) host[k] = await toHost(t, sig.outputs[k]?.dtype);
      } finally {
        for (const t of Object.values(outputs)) release(t);
      }
      return host;
    };
  }

  const functions: Record<string, SavedFunction> = {};
  for (const name of Object.keys(info.rootFunctions)) {
    functions[name] = async (...args) => {
      let concrete: SavedConcreteFunction | undefined;
      const flat = tf.tidy(() => {
        const bound = runner.bindCall(
          name,
          args.map((a, i) => (typeof a === "object" && a !== null ? input(a, `argument ${i} of ${name}`) : a)),
        );
        concrete = bound.concrete;
        return runner.runConcrete(concrete.name, bound.inputs).map((v, i) => tensorOutput(v, `output ${i} of ${name}`));
      });
      const specs = flattenSpecs(concrete!.outputSignature);
      const host: HostTensor[] = [];
      try {
        for (const [i, t] of flat.entries()) host.push(await toHost(t, specs[i]?.dtype));
      } finally {
        for (const t of flat) release(t);
      }
      return packStructure(concrete!.outputSignature, host);
    };
  }

  const dispose = (): void => {
    for (const t of captured) if (!t.isDisposed) t.dispose();
    captured.clear();
  };
  return {
    tags: info.tags,
    signatures,
    functions,
    variables: variablesOf(info),
    info,
    dispose,
    [Symbol.dispose]: dispose,
  };
}

function tensorOutput(v: GraphValue, label: string): tf.Tensor {
  if (v instanceof TensorList)
    throw new LoweringError("unsupported", cannot("return", label, "it is a TensorList, not a tensor"));
  return v;
}

/**
 * The root's `variables` list when it has one (what Python's `loaded.variables` gives for a Keras
 * export, which also tracks each variable a second time under `_all_variables`), else every
 * variable of the object graph in node order.
 */
export function rootVariables(info: SavedModelInfo): readonly SavedModelVariable[] {
  const edge = info.objects[0]!.children.find((c) => c.name === "variables");
  const listed = edge === undefined ? [] : info.objects[edge.id]!.children.map((c) => c.id);
  return listed.length > 0 && listed.every((id) => info.objects[id]!.kind === "variable")
    ? listed.map((id) => info.variables.find((v) => v.nodeId === id)!)
    : info.variables;
}

function variablesOf(info: SavedModelInfo): LoadedVariable[] {
  return rootVariables(info).flatMap((v) =>
    v.value === undefined
      ? []
      : [{ name: v.name, dtype: v.dtype, shape: v.value.shape, trainable: v.trainable, value: v.value }],
  );
}
