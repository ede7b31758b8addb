import { readCheckpoint } from "@kerastore/checkpoint";
import {
  cannot,
  type HostTensor,
  isJsonObject,
  joinPath,
  type SavedModelData,
  type SavedNode,
  type SavedVariable,
  sizeOf,
  writeFileSet,
} from "@kerastore/core";
import { findUnsafeConfig } from "@kerastore/keras-v3";
import {
  KERAS_METADATA_PB,
  readSavedModel,
  SAVED_MODEL_PB,
  type SignatureTensor,
  VARIABLES_PREFIX,
  writeSavedModel,
} from "@kerastore/savedmodel";
// The lowering and the graph runner load when a SavedModel is read, written or run: a bundle
// that never touches one does not carry them.
const lowering = () => import("@kerastore/savedmodel-lowering");
import { FacadeError } from "../errors.js";
import { describeLocation } from "../location.js";
import type { FormatInspector, FormatRunner, RunInput } from "./capabilities.js";
import type { FormatLocation, ModelReader, ModelWriter, ReadOptions } from "./format.js";
import { type InspectReport, type InspectTensor, inspectReportOf } from "./inspect-report.js";

/**
 * A TensorFlow SavedModel directory, the guide's default `model.save("my_model")`.
 *
 * Writing lowers the model's layers to TensorFlow ops (the `serving_default` signature, which
 * `tf.saved_model.load` runs), writes the variables as the TF checkpoint `saveWeights` writes
 * (`variables/variables`, optimizer included) and Keras 2's `keras_metadata.pb`, from which
 * reading revives the Keras model. SavedModels without Keras metadata are graphs only: they
 * load through `keras.savedModel.load`.
 */
export const savedModelFormat: ModelReader & ModelWriter & FormatInspector & FormatRunner = {
  name: "savedmodel",
  description: "TensorFlow SavedModel directory (saved_model.pb, variables/, keras_metadata.pb)",
  extensions: [],
  holds: { architecture: true, weights: true, optimizer: true },
  async sniffLocation({ store, path }) {
    return (await store.isDirectory(path).catch(() => false)) && (await store.exists(joinPath(path, SAVED_MODEL_PB)));
  },
  read: (location, options) => readKerasSavedModel(location, options),
  // The graph keeps the model's definitions: a reader runs it, it rebuilds nothing by name.
  plan: (options) => ({ dialect: "keras3", computes: "graph", optimizer: options.includeOptimizer }),
  async write(location, data, options) {
    // A SavedModel is a directory of files: they change as one set.
    await writeFileSet(location.store, location.path, (store) =>
      writeKerasSavedModel({ store, path: location.path }, data, options.includeOptimizer),
    );
  },
  async inspect(location, options) {
    if (await hasKerasModel(location)) return inspectReportOf(location, await readKerasSavedModel(location, options));
    return inspectGraph(location);
  },
  runs: async (location) => !(await hasKerasModel(location)),
  run: (location, inputs, options) => runSignature(location, inputs, options.signature ?? "serving_default"),
};

async function hasKerasModel({ store, path }: FormatLocation): Promise<boolean> {
  return store.exists(joinPath(path, KERAS_METADATA_PB));
}

async function readKerasSavedModel({ store, path }: FormatLocation, options: ReadOptions) {
  const where = `${store.description}/${path}`;
  const { readKerasRoot } = await lowering();
  const meta = await readKerasRoot(store, path, where);
  if (options.safeMode) {
    const findings = findUnsafeConfig(meta.model_config ?? null);
    if (findings.length > 0) {
      throw new FacadeError(
        "format-cannot-read",
        cannot(
          "load",
          `${where}/keras_metadata.pb`,
          `safe mode refuses ${findings
            .map((f) => `${f.reason} at ${f.at}`)
            .slice(0, 3)
            .join("; ")}`,
          "if you trust the file's source, pass { safeMode: false }",
        ),
        { path: where },
      );
    }
  }
  const root = keras3Optimizer(await readCheckpoint(store, joinPath(path, VARIABLES_PREFIX)));
  const data: SavedModelData = { root, modelConfig: meta.model_config as SavedModelData["modelConfig"] };
  const extra: { -readonly [K in keyof SavedModelData]?: SavedModelData[K] } = {};
  if (typeof meta.keras_version === "string") extra.kerasVersion = meta.keras_version;
  if (typeof meta.backend === "string") extra.backend = meta.backend;
  if (isJsonObject(meta.training_config)) extra.trainingConfig = meta.training_config;
  const { holds, name, description } = savedModelFormat;
  return { data: { ...data, ...extra }, layout: "object-graph", holds, format: name, description } as const;
}

async function writeKerasSavedModel(
  { store, path }: FormatLocation,
  data: SavedModelData,
  includeOptimizer: boolean,
): Promise<void> {
  const where = `${store.description}/${path}`;
  if (data.modelConfig === undefined) {
    throw new FacadeError(
      "format-cannot-write",
      cannot("save", `${where} as a SavedModel`, "the data holds no model config"),
    );
  }
  // The engine loads here, when a model is rebuilt to be lowered, not when the format is registered.
  const { initBackend, kerasMajor, Model, modelFromJson, toCheckpointTree } = await import("@kerastore/engine");
  await initBackend();
  const { kerasMetadataFor, lowerCall, lowerModel } = await lowering();
  let model: unknown;
  try {
    model = modelFromJson(data.modelConfig, { kerasVersion: kerasMajor(data.kerasVersion) });
  } catch (error) {
    throw new FacadeError(
      "unsupported",
      cannot(
        "save",
        `${where} as a SavedModel`,
        `its config does not rebuild without custom objects (${String(error)})`,
        "save to .keras or .h5",
      ),
      { cause: error },
    );
  }
  if (!(model instanceof Model))
    throw new FacadeError(
      "format-cannot-write",
      cannot("save", `${where} as a SavedModel`, "its config is not a model"),
    );
  // The rebuilt model only gives the lowering its layer graph; the values come from data.root,
  // so its fresh variables are freed once the graph is built (else every save leaked them).
  let lowered: {
    signature: ReturnType<typeof lowerModel>;
    call: ReturnType<typeof lowerCall>;
    kerasMetadata: ReturnType<typeof kerasMetadataFor>;
  };
  const root = !includeOptimizer
    ? { ...data.root, children: data.root.children.filter((e) => e.name !== "optimizer") }
    : data.root;
  const variables = toCheckpointTree(root);
  try {
    lowered = {
      signature: lowerModel(model, data.root),
      call: lowerCall(model, data.root),
      kerasMetadata: kerasMetadataFor(model, variables, data),
    };
  } finally {
    for (const w of model.weights) w.value.dispose();
  }
  await writeSavedModel(store, path, {
    variables,
    signatures: { serving_default: lowered.signature },
    functions: { __call__: lowered.call },
    kerasMetadata: lowered.kerasMetadata,
  });
}

/** A SavedModel with no Keras model in it (model.export, tf.saved_model.save): its signatures and variables. */
async function inspectGraph(location: FormatLocation): Promise<InspectReport> {
  const info = await readSavedModel(location.store, location.path, { values: false });
  const tensors = (record: Readonly<Record<string, SignatureTensor>>): InspectTensor[] =>
    Object.entries(record).map(([name, t]) => ({
      name,
      dtype: t.dtype,
      shape: t.shape === null ? null : [...t.shape],
    }));
  const { rootVariables } = await lowering();
  const weights = rootVariables(info).map((v) => ({
    path: v.name,
    dtype: v.dtype,
    shape: v.shape === null ? [] : v.shape.map((d) => d ?? -1),
  }));
  return {
    format: savedModelFormat.name,
    description: `${savedModelFormat.description}, a graph without a Keras model (tags ${info.tags.join(", ")})`,
    path: location.path,
    layers: [],
    params: weights.reduce((n, w) => n + (w.shape.every((d) => d >= 0) ? sizeOf(w.shape) : 0), 0),
    weights,
    signatures: Object.values(info.signatures)
      .filter((s) => s.functionName !== undefined)
      .map((s) => ({ key: s.key, inputs: tensors(s.inputs), outputs: tensors(s.outputs) })),
    functions: Object.keys(info.rootFunctions).sort(),
  };
}

/**
 * Runs a signature as `saved_model_cli run` does: inputs by name or, in the signature's input
 * order, by position; outputs in the signature's output order.
 */
async function runSignature(location: FormatLocation, inputs: readonly RunInput[], key: string): Promise<HostTensor[]> {
  const where = describeLocation(location);
  const { loadSavedModel } = await lowering();
  const loaded = await loadSavedModel(location);
  try {
    const fn = loaded.signatures[key];
    const spec = loaded.info.signatures[key];
    if (fn === undefined || spec === undefined) {
      const keys = Object.keys(loaded.signatures);
      throw new FacadeError(
        "invalid-argument",
        cannot(
          "predict with",
          where,
          `it has no signature "${key}"`,
          `pass --signature ${keys.join(" or ") || "(it has none)"}`,
        ),
      );
    }
    const names = Object.keys(spec.inputs);
    if (inputs.length !== names.length) {
      throw new FacadeError(
        "invalid-argument",
        cannot(
          "predict with",
          where,
          `signature ${key} takes ${names.length} input(s) (${names.join(", ")}), ${inputs.length} --input given`,
        ),
      );
    }
    const feed: Record<string, HostTensor> = {};
    for (const [i, input] of inputs.entries()) {
      const named = input.name !== undefined && names.includes(input.name);
      feed[named ? input.name! : names[i]!] = input.value;
    }
    const out = await fn(feed);
    return Object.keys(spec.outputs).map((name) => out[name]!);
  } finally {
    loaded.dispose();
  }
}

/**
 * The checkpoint's optimizer node (tf.keras 2 names: `iter`, `learning_rate`, the rest under
 * `_variables/N` with N its index in Keras 3's list, or as slots) back in the Keras 3 list
 * form loadModel restores: listed variables at their index, the named ones and slots filling
 * the other places in order.
 */
function keras3Optimizer(root: SavedNode): SavedNode {
  const edge = root.children.find((e) => e.name === "optimizer");
  if (edge === undefined) return root;
  const node = edge.node;
  const listed = node.children.find((e) => e.name === "_variables")?.node.variables ?? [];
  const rest = [...node.variables, ...(node.slots ?? []).map((s) => s.slot)];
  const total = listed.length + rest.length;
  const placed: (SavedVariable | undefined)[] = new Array(total);
  for (const v of listed) {
    const index = Number(v.name);
    if (!Number.isInteger(index) || index < 0 || index >= total || placed[index] !== undefined) return root;
    placed[index] = v;
  }
  let next = 0;
  const variables = Array.from({ length: total }, (_, i) => placed[i] ?? rest[next++]!);
  return {
    ...root,
    children: root.children.map((e) =>
      e === edge ? { name: e.name, node: { className: node.className, name: node.name, variables, children: [] } } : e,
    ),
  };
}
