import { fromBinary } from "@bufbuild/protobuf";
import { cannot } from "@kerastore/core";
import { SavedModelError } from "./errors.js";
import type { FunctionDef } from "./gen/graph_pb.js";
import { type MetaGraphDef, type SavedModel, SavedModelSchema, type TensorInfo } from "./gen/saved_model_pb.js";
import type { FunctionSpec, SavedObjectGraph } from "./gen/saved_object_graph_pb.js";
import type {
  SavedConcreteFunction,
  SavedModelInfo,
  SavedModelVariable,
  SavedObject,
  SavedObjectKind,
  SavedSignature,
  SignatureTensor,
} from "./saved-model.js";
import { dataTypeName } from "./dtypes.js";
import { partialShapeOf } from "./shape.js";
import { type Structure, decodeStructure } from "./structure.js";

const KIND: Readonly<Record<string, SavedObjectKind>> = {
  userObject: "user_object",
  asset: "asset",
  function: "function",
  variable: "variable",
  bareConcreteFunction: "bare_concrete_function",
  constant: "constant",
  resource: "resource",
  capturedTensor: "captured_tensor",
};

/**
 * Decodes the bytes of `saved_model.pb` and checks every reference in it: object graph node
 * ids, concrete function names, library function names. Variables come without values.
 *
 * `where` names the file for messages; `tags` picks the meta graph (default: the one tagged
 * `serve`, or the only one).
 */
export function parseSavedModel(bytes: Uint8Array, where: string, tags: readonly string[] = ["serve"]): SavedModelInfo {
  let model: SavedModel;
  try {
    model = fromBinary(SavedModelSchema, bytes);
  } catch (error) {
    throw new SavedModelError(
      "corrupt",
      cannot("decode", where, `not a SavedModel protocol buffer (${String(error)})`),
      { path: where, cause: error },
    );
  }
  const meta = pickMetaGraph(model, where, tags);
  const fail = (place: string, reason: string): never => {
    throw new SavedModelError("corrupt", cannot("read", `${place} of ${where}`, reason), { path: where });
  };

  const library = new Map<string, FunctionDef>();
  for (const fn of meta.graphDef?.library?.function ?? []) {
    const name = fn.signature?.name ?? "";
    if (name === "") fail("the function library", "a function has no name");
    if (library.has(name)) fail("the function library", `function ${name} is defined twice`);
    library.set(name, fn);
  }

  const graph: SavedObjectGraph | undefined = meta.objectGraphDef;
  if (graph === undefined || graph.nodes.length === 0) {
    throw new SavedModelError(
      "unsupported",
      cannot(
        "read",
        where,
        "it has no object graph (a TF1 SavedModel)",
        "save it again with TensorFlow 2 (tf.saved_model.save or model.export)",
      ),
      { path: where },
    );
  }
  const count = graph.nodes.length;
  const checkId = (id: number, place: string): number => {
    if (!Number.isInteger(id) || id < 0 || id >= count) fail(place, `node id ${id} is not in 0..${count - 1}`);
    return id;
  };

  const concreteFunctions = new Map<string, SavedConcreteFunction>();
  for (const [name, fn] of Object.entries(graph.concreteFunctions)) {
    if (!library.has(name)) fail(`concrete function ${name}`, "the function library does not define it");
    concreteFunctions.set(name, {
      name,
      boundInputs: fn.boundInputs.map((id) => checkId(id, `the bound inputs of concrete function ${name}`)),
      inputSignature: decodeStructure(fn.canonicalizedInputSignature, `the input signature of ${name} in ${where}`),
      outputSignature: decodeStructure(fn.outputSignature, `the output signature of ${name} in ${where}`),
    });
  }
  const checkFunction = (name: string, place: string): string => {
    if (!concreteFunctions.has(name))
      fail(place, `concrete function ${JSON.stringify(name)} is not in the object graph`);
    return name;
  };

  const objects: SavedObject[] = [];
  const variables: SavedModelVariable[] = [];
  for (const [id, node] of graph.nodes.entries()) {
    const place = `object graph node ${id}`;
    const kind = node.kind;
    let functions: string[] = [];
    if (kind.case === "function") functions = kind.value.concreteFunctions.map((n) => checkFunction(n, place));
    if (kind.case === "bareConcreteFunction") functions = [checkFunction(kind.value.concreteFunctionName, place)];
    if (kind.case === "variable") {
      const v = kind.value;
      variables.push({
        nodeId: id,
        name: v.name,
        dtype: dataTypeName(v.dtype),
        shape: partialShapeOf(v.shape, `variable ${v.name} (${place}) in ${where}`),
        trainable: v.trainable,
        value: undefined,
      });
    }
    objects.push({
      id,
      kind: kind.case === undefined ? "unknown" : (KIND[kind.case] ?? "unknown"),
      children: node.children.map((c) => ({ name: c.localName, id: checkId(c.nodeId, `the children of ${place}`) })),
      identifier: kind.case === "userObject" ? kind.value.identifier : "",
      concreteFunctions: functions,
      operation: kind.case === "constant" ? kind.value.operation : "",
      ...argumentsOf(
        kind.case === "function"
          ? kind.value.functionSpec
          : kind.case === "bareConcreteFunction"
            ? kind.value.functionSpec
            : undefined,
        `${place} of ${where}`,
      ),
    });
  }

  const root = objects[0]!;
  const rootFunctions: Record<string, readonly string[]> = {};
  for (const edge of root.children) {
    const child = objects[edge.id]!;
    if (
      (child.kind === "function" || child.kind === "bare_concrete_function") &&
      !Object.hasOwn(rootFunctions, edge.name)
    ) {
      rootFunctions[edge.name] = child.concreteFunctions;
    }
  }

  return {
    where,
    schemaVersion: Number(model.savedModelSchemaVersion),
    tags: [...(meta.metaInfoDef?.tags ?? [])],
    tensorflowVersion: meta.metaInfoDef?.tensorflowVersion ?? "",
    signatures: signaturesOf(meta, objects, where),
    objects,
    rootFunctions,
    variables,
    concreteFunctions,
    library,
    graph: meta.graphDef,
  };
}

/** Argument names and defaults from a function's saved `FullArgSpec` (empty when absent). */
function argumentsOf(spec: FunctionSpec | undefined, where: string): { argNames: string[]; defaults: Structure[] } {
  const full =
    spec?.fullargspec === undefined ? undefined : decodeStructure(spec.fullargspec, `the argument spec of ${where}`);
  if (full?.kind !== "namedtuple") return { argNames: [], defaults: [] };
  const field = (name: string) => full.fields.find(([k]) => k === name)?.[1];
  const args = field("args");
  const defaults = field("defaults");
  let argNames =
    args?.kind === "list" || args?.kind === "tuple"
      ? args.items.map((a) => (a.kind === "value" ? String(a.value) : ""))
      : [];
  if (spec?.isMethod === true && argNames[0] === "self") argNames = argNames.slice(1);
  const values = defaults?.kind === "list" || defaults?.kind === "tuple" ? [...defaults.items] : [];
  return { argNames, defaults: values.length <= argNames.length ? values : [] };
}

function pickMetaGraph(model: SavedModel, where: string, tags: readonly string[]): MetaGraphDef {
  const graphs = model.metaGraphs;
  if (graphs.length === 0)
    throw new SavedModelError("corrupt", cannot("read", where, "it holds no meta graph"), { path: where });
  if (graphs.length === 1) return graphs[0]!;
  const found = graphs.find((g) => tags.every((t) => g.metaInfoDef?.tags.includes(t)));
  if (found !== undefined) return found;
  const sets = graphs.map((g) => `[${(g.metaInfoDef?.tags ?? []).join(", ")}]`).join(", ");
  throw new SavedModelError(
    "not-found",
    cannot("read", where, `no meta graph is tagged [${tags.join(", ")}]; it has ${sets}`, "pass one of those tag sets"),
    {
      path: where,
    },
  );
}

function tensorOf(info: TensorInfo): SignatureTensor {
  return {
    tensorName: info.encoding.case === "name" ? info.encoding.value : "",
    dtype: dataTypeName(info.dtype),
    shape: partialShapeOf(
      info.tensorShape,
      `signature tensor ${info.encoding.case === "name" ? info.encoding.value : "(composite)"}`,
    ),
  };
}

/** The signature defs, each tied to its concrete function through the root's `signatures` child. */
function signaturesOf(
  meta: MetaGraphDef,
  objects: readonly SavedObject[],
  where: string,
): Record<string, SavedSignature> {
  const signatureEdge = objects[0]!.children.find((c) => c.name === "signatures");
  const map = signatureEdge === undefined ? undefined : objects[signatureEdge.id];
  const functionOf = (key: string): string | undefined => {
    const edge = map?.children.find((c) => c.name === key);
    return edge === undefined ? undefined : objects[edge.id]!.concreteFunctions[0];
  };
  const out: Record<string, SavedSignature> = {};
  for (const key of Object.keys(meta.signatureDef).sort()) {
    const def = meta.signatureDef[key]!;
    const side = (m: { [k: string]: TensorInfo }) =>
      Object.fromEntries(
        Object.keys(m)
          .sort()
          .map((k) => [k, tensorOf(m[k]!)]),
      );
    try {
      out[key] = {
        key,
        methodName: def.methodName,
        inputs: side(def.inputs),
        outputs: side(def.outputs),
        functionName: functionOf(key),
      };
    } catch (error) {
      if (error instanceof SavedModelError) {
        throw new SavedModelError(error.code, `${error.message} (signature ${key} of ${where})`, {
          path: where,
          cause: error,
        });
      }
      throw error;
    }
  }
  return out;
}
