import { VARIABLE_VALUE, loadCheckpoint, readObjectGraph } from "@kerastore/checkpoint";
import { type Store, cannot, joinPath } from "@kerastore/core";
import { SavedModelError } from "./errors.js";
import { parseSavedModel } from "./parse-saved-model.js";
import type { SavedModelInfo, SavedModelVariable } from "./saved-model.js";
import { formatPartialShape } from "./shape.js";

/** Options of `readSavedModel`. */
export interface ReadSavedModelOptions {
  /** The meta graph to read, by its tags (default `["serve"]`; a lone meta graph is always read). */
  readonly tags?: readonly string[];
  /** Whether to read the variables' values from `variables/variables` (default true). */
  readonly values?: boolean;
}

/** The saved_model.pb file name inside a SavedModel directory. */
export const SAVED_MODEL_PB = "saved_model.pb";
/** The text form TensorFlow can also write; Kerastore does not parse it. */
export const SAVED_MODEL_PBTXT = "saved_model.pbtxt";
/** The checkpoint prefix of the variables inside a SavedModel directory. */
export const VARIABLES_PREFIX = "variables/variables";

/**
 * Reads the SavedModel directory `dir` of `store`: signatures, the object graph, concrete
 * functions, the function library, and the variables with their values.
 *
 * Variable values come from the checkpoint under `variables/`, matched by object graph node id
 * (a TF2 SavedModel writes its checkpoint from the same object graph, so ids agree); each
 * value's dtype and shape are checked against the variable's.
 */
export async function readSavedModel(
  store: Store,
  dir = "",
  options: ReadSavedModelOptions = {},
): Promise<SavedModelInfo> {
  const pbPath = joinPath(dir, SAVED_MODEL_PB);
  if (!(await store.exists(pbPath))) {
    const pbtxt = joinPath(dir, SAVED_MODEL_PBTXT);
    if (await store.exists(pbtxt)) {
      throw new SavedModelError(
        "unsupported",
        cannot(
          "read",
          `${store.description}/${pbtxt}`,
          "text-format SavedModels are not read",
          "save it in binary form (the default of tf.saved_model.save)",
        ),
        { path: pbtxt },
      );
    }
    throw new SavedModelError(
      "not-found",
      cannot(
        "read",
        `SavedModel ${store.description}/${dir}`,
        `there is no ${SAVED_MODEL_PB}`,
        "pass the directory that holds saved_model.pb and variables/",
      ),
      { path: pbPath },
    );
  }
  const info = parseSavedModel(await store.read(pbPath), pbPath, options.tags);
  if (options.values === false || info.variables.length === 0) return info;
  return { ...info, variables: await readVariableValues(store, joinPath(dir, VARIABLES_PREFIX), info.variables) };
}

async function readVariableValues(
  store: Store,
  prefix: string,
  variables: readonly SavedModelVariable[],
): Promise<SavedModelVariable[]> {
  const reader = await loadCheckpoint(store, prefix);
  const graph = await readObjectGraph(reader.bundle);
  const out: SavedModelVariable[] = [];
  for (const v of variables) {
    const where = `variable ${v.name} (object graph node ${v.nodeId}) of ${prefix}`;
    const node = graph.nodes[v.nodeId];
    const attr = node?.attributes.find((a) => a.name === VARIABLE_VALUE);
    if (attr === undefined || !reader.hasTensor(attr.checkpointKey)) {
      throw new SavedModelError(
        "corrupt",
        cannot("read", `the value of ${where}`, `checkpoint ${prefix} has no value for node ${v.nodeId}`),
        { path: prefix },
      );
    }
    const value = await reader.getTensor(attr.checkpointKey);
    const shapeOk =
      v.shape === null ||
      (v.shape.length === value.shape.length && v.shape.every((d, i) => d === null || d === value.shape[i]));
    if (value.dtype !== v.dtype || !shapeOk) {
      throw new SavedModelError(
        "corrupt",
        cannot(
          "read",
          `the value of ${where}`,
          `the checkpoint holds ${value.dtype} [${value.shape.join(", ")}], the object graph says ${v.dtype} ${formatPartialShape(v.shape)}`,
        ),
        { path: prefix },
      );
    }
    out.push({ ...v, value });
  }
  return out;
}
