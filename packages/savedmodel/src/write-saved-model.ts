import { create, toBinary } from "@bufbuild/protobuf";
import { OBJECT_GRAPH_KEY, VARIABLE_VALUE, decodeObjectGraph, treeToGraph, writeBundle } from "@kerastore/checkpoint";
import {
  type DType,
  type HostTensor,
  type SavedNode,
  type SavedVariable,
  type Store,
  cannot,
  joinPath,
  stringTensor,
} from "@kerastore/core";
import { SavedModelError } from "./errors.js";
import { type FunctionBuilder, attr, dataTypeOf, shapeProto } from "./graph-build.js";
import { type FunctionDef, GraphDefSchema, type NodeDef, NodeDefSchema } from "./gen/graph_pb.js";
import { SavedMetadataSchema } from "./gen/saved_metadata_pb.js";
import { KERAS_METADATA_PB } from "./keras-metadata.js";
import {
  MetaGraphDefSchema,
  MetaGraphDef_MetaInfoDefSchema,
  SavedModelSchema,
  type SignatureDef,
  SignatureDefSchema,
} from "./gen/saved_model_pb.js";
import {
  type SavedObject,
  SavedObjectGraphSchema,
  SavedObjectSchema,
  type SavedConcreteFunction,
  SavedConcreteFunctionSchema,
} from "./gen/saved_object_graph_pb.js";
import { SAVED_MODEL_PB, VARIABLES_PREFIX } from "./read-saved-model.js";
import type { PartialShape } from "./shape.js";
import { fullArgSpec, sv } from "./structure-build.js";

/** One input of a written signature: its keyword name, dtype and shape. */
export interface WrittenTensorSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: PartialShape;
}

/**
 * A signature to write: a built function whose inputs are `inputs` (sorted by name: TensorFlow
 * flattens the keyword inputs in name order), then one handle per capture.
 */
export interface SignatureToWrite {
  /** The function; its outputs become the signature's outputs (dict keys = output names). */
  readonly builder: FunctionBuilder;
  /** The inputs in the function's order; their names are the signature's keywords. */
  readonly inputs: readonly WrittenTensorSpec[];
  /** The variables of `variables` the function captures, in the order of its capture inputs. */
  readonly captures: readonly SavedVariable[];
}

/**
 * A function of the root object (`__call__`): called positionally with one argument, a tensor
 * or a list of tensors, returning a tensor or a list (build it with `sortOutputs` false).
 */
export interface RootFunctionToWrite {
  readonly builder: FunctionBuilder;
  /** The Python argument name (`inputs`). */
  readonly argName: string;
  /** The tensors of the argument, in the function's input order. */
  readonly inputs: readonly WrittenTensorSpec[];
  /** Whether the argument is a list (else the one tensor). */
  readonly inputIsList: boolean;
  /** Whether the result is a list (else the one tensor). */
  readonly outputIsList: boolean;
  readonly captures: readonly SavedVariable[];
}

/** A Keras 2 `keras_metadata.pb` entry for one node of the variables tree. */
export interface KerasNodeMetadata {
  readonly node: SavedNode;
  /** `_tf_keras_layer`, `_tf_keras_network`, `_tf_keras_sequential`, `_tf_keras_input_layer`, ... */
  readonly identifier: string;
  /** The JSON metadata string. */
  readonly metadata: string;
}

/** What {@link writeSavedModel} writes. */
export interface WriteSavedModelSpec {
  /**
   * The object tree whose variables go to `variables/variables` as a TF checkpoint; its
   * checkpoint object graph is the head of the SavedObjectGraph (same node ids).
   */
  readonly variables: SavedNode;
  /** Signatures by key (`serving_default`). */
  readonly signatures: Readonly<Record<string, SignatureToWrite>>;
  /** Functions of the root object by attribute name (`__call__`, so `loaded(x)` works in Python). */
  readonly functions?: Readonly<Record<string, RootFunctionToWrite>> | undefined;
  /** Written to `keras_metadata.pb` when given. */
  readonly kerasMetadata?: readonly KerasNodeMetadata[] | undefined;
  /** Recorded in meta_info_def (default "2.21.0", the reference TensorFlow). */
  readonly tensorflowVersion?: string | undefined;
}

/** TensorFlow 2.21's GraphDef versions. */
const GRAPH_VERSIONS = { producer: 2474, minConsumer: 12 };

interface Numbered {
  /** SavedObjectGraph nodes, the checkpoint's first. */
  objects: SavedObject[];
  nodeIds: Map<SavedNode, number>;
  variableIds: Map<SavedVariable, number>;
  paths: string[];
}

/** The checkpoint's object graph as SavedObjects, with the id of every tree node and variable. */
function numberTree(root: SavedNode, graph: Uint8Array, tensors: Map<string, HostTensor>): Numbered {
  const proto = decodeObjectGraph(graph, "the variables being written");
  const byValue = new Map<HostTensor, SavedVariable>();
  const visit = (n: SavedNode, seen: Set<SavedNode>): void => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const v of n.variables) byValue.set(v.value, v);
    for (const s of n.slots ?? []) byValue.set(s.slot.value, s.slot);
    for (const e of n.children) visit(e.node, seen);
  };
  visit(root, new Set());
  const nodeIds = new Map<SavedNode, number>([[root, 0]]);
  const targets: (SavedNode | undefined)[] = [root];
  const paths: string[] = ["root"];
  const variableIds = new Map<SavedVariable, number>();
  const objects = proto.nodes.map((node, i) => {
    const value = node.attributes.find((a) => a.name === VARIABLE_VALUE);
    const tensor = value === undefined ? undefined : tensors.get(value.checkpointKey);
    const variable = tensor === undefined ? undefined : byValue.get(tensor);
    const target = targets[i];
    for (const child of node.children) {
      if (paths[child.nodeId] === undefined) paths[child.nodeId] = `${paths[i] ?? `node${i}`}.${child.localName}`;
      const edge = target?.children.find((e) => e.name === child.localName);
      if (edge !== undefined && !nodeIds.has(edge.node)) {
        nodeIds.set(edge.node, child.nodeId);
        targets[child.nodeId] = edge.node;
      }
    }
    if (variable !== undefined && tensor !== undefined) {
      variableIds.set(variable, i);
      return create(SavedObjectSchema, {
        kind: {
          case: "variable",
          value: {
            dtype: dataTypeOf(tensor.dtype),
            shape: shapeProto(tensor.shape),
            trainable: variable.trainable,
            name: variable.path,
          },
        },
      });
    }
    return create(SavedObjectSchema, {
      children: node.children.map((c) => ({ nodeId: c.nodeId, localName: c.localName })),
      kind: {
        case: "userObject",
        value: { identifier: "_generic_user_object", version: { producer: 1, minConsumer: 1 } },
      },
    });
  });
  return { objects, nodeIds, variableIds, paths };
}

/** The object graph ids of captured variables, in capture order. */
function boundIds(captures: readonly SavedVariable[], numbered: Numbered, what: string): number[] {
  return captures.map((v) => {
    const id = numbered.variableIds.get(v);
    if (id === undefined) {
      throw new SavedModelError(
        "invalid-argument",
        cannot("write", what, `it captures variable "${v.path}", which is not a variable of the variables tree`),
      );
    }
    return id;
  });
}

function variableNodeName(v: SavedVariable, taken: Set<string>): string {
  const base = v.path.replace(/[^A-Za-z0-9_.\-/]/g, "_").replace(/^[^A-Za-z0-9.]+/, "v");
  let out = base;
  for (let i = 1; taken.has(out); i++) out = `${base}_${i}`;
  taken.add(out);
  return out;
}

/**
 * Writes a TF2 SavedModel directory TensorFlow's `tf.saved_model.load` reads: `variables/`
 * (a TF checkpoint of `spec.variables`), `assets/`, `keras_metadata.pb` when given, and
 * `saved_model.pb` last, so a directory holding it is complete. Each file is written atomically;
 * when a write fails, what this call wrote is removed again.
 */
export async function writeSavedModel(store: Store, dir: string, spec: WriteSavedModelSpec): Promise<void> {
  const existed = await store.exists(dir);
  const written: string[] = [];
  const put = async (path: string, bytes: Uint8Array): Promise<void> => {
    written.push(path);
    await store.write(path, bytes);
  };
  try {
    // A stale saved_model.pb must not make a half-written directory look complete.
    if (existed) await store.remove(joinPath(dir, SAVED_MODEL_PB));
    await store.mkdir(joinPath(dir, "variables"));
    await store.mkdir(joinPath(dir, "assets"));
    const { graph, tensors } = treeToGraph(spec.variables);
    const prefix = joinPath(dir, VARIABLES_PREFIX);
    written.push(`${prefix}.index`, `${prefix}.data-00000-of-00001`);
    await writeBundle(store, prefix, [...tensors, [OBJECT_GRAPH_KEY, stringTensor([], [graph])]]);
    const numbered = numberTree(spec.variables, graph, new Map(tensors));
    if (spec.kerasMetadata !== undefined)
      await put(joinPath(dir, KERAS_METADATA_PB), kerasMetadataBytes(spec.kerasMetadata, numbered));
    await put(joinPath(dir, SAVED_MODEL_PB), savedModelBytes(spec, numbered));
  } catch (error) {
    if (!existed) await store.remove(dir).catch(() => undefined);
    else for (const path of written) await store.remove(path).catch(() => undefined);
    throw error;
  }
}

function kerasMetadataBytes(entries: readonly KerasNodeMetadata[], numbered: Numbered): Uint8Array {
  const nodes = entries.map((e) => {
    const id = numbered.nodeIds.get(e.node);
    if (id === undefined) {
      throw new SavedModelError(
        "invalid-argument",
        cannot("write", "keras_metadata.pb", `node "${e.node.name}" is not in the variables tree`),
      );
    }
    return {
      nodeId: id,
      nodePath: numbered.paths[id] ?? "root",
      identifier: e.identifier,
      metadata: e.metadata,
      version: { producer: 2, minConsumer: 1 },
    };
  });
  return toBinary(SavedMetadataSchema, create(SavedMetadataSchema, { nodes }));
}

function savedModelBytes(spec: WriteSavedModelSpec, numbered: Numbered): Uint8Array {
  const objects = [...numbered.objects];
  const library: FunctionDef[] = [];
  const concrete: Record<string, SavedConcreteFunction> = {};
  const signatureDefs: Record<string, SignatureDef> = {};
  const outer: NodeDef[] = [];
  const handles = new Map<SavedVariable, string>();
  const taken = new Set<string>();
  const mapChildren: { nodeId: number; localName: string }[] = [];
  let call = 0;
  for (const [key, signature] of Object.entries(spec.signatures)) {
    const fn = signature.builder.build();
    const name = signature.builder.name;
    library.push(fn);
    const names = signature.inputs.map((i) => i.name);
    if (names.some((n, i) => i > 0 && names[i - 1]! >= n)) {
      throw new SavedModelError(
        "invalid-argument",
        cannot(
          "write",
          `signature "${key}"`,
          `its inputs (${names.join(", ")}) are not in name order, the order TensorFlow passes keyword inputs in`,
          "build the function's inputs sorted by name",
        ),
      );
    }
    const boundInputs = boundIds(signature.captures, numbered, `signature "${key}"`);
    const outputs = signature.builder.returnedOutputs;
    concrete[name] = create(SavedConcreteFunctionSchema, {
      boundInputs,
      canonicalizedInputSignature: sv.tuple([
        sv.tuple([]),
        sv.dict(Object.fromEntries(signature.inputs.map((i) => [i.name, sv.tensorSpec(i.name, i.dtype, i.shape)]))),
      ]),
      outputSignature: sv.dict(
        Object.fromEntries(outputs.map((o) => [o.name, sv.tensorSpec(o.name, o.dtype, o.shape)])),
      ),
    });
    mapChildren.push({ nodeId: objects.length, localName: key });
    objects.push(
      create(SavedObjectSchema, {
        kind: {
          case: "bareConcreteFunction",
          value: {
            concreteFunctionName: name,
            argumentKeywords: signature.inputs.map((i) => i.name),
            allowedPositionalArguments: BigInt(signature.inputs.length),
            functionSpec: {
              fullargspec: fullArgSpec(
                [],
                signature.inputs.map((i) => i.name),
              ),
              inputSignature: sv.none(),
            },
          },
        },
      }),
    );
    // The outer graph, for graph-mode consumers (TF Serving, saved_model_cli): placeholders and
    // variable handles into one call of the signature function.
    const placeholders = signature.inputs.map((i) => {
      const node = variableNodeName({ path: `${key}_${i.name}` } as SavedVariable, taken);
      outer.push(
        create(NodeDefSchema, {
          name: node,
          op: "Placeholder",
          attr: { dtype: attr.type(i.dtype), shape: attr.shape(i.shape) },
        }),
      );
      return node;
    });
    const resources = signature.captures.map((v) => {
      const known = handles.get(v);
      if (known !== undefined) return known;
      const node = variableNodeName(v, taken);
      handles.set(v, node);
      outer.push(
        create(NodeDefSchema, {
          name: node,
          op: "VarHandleOp",
          attr: {
            dtype: attr.type(v.value.dtype),
            shape: attr.shape(v.value.shape),
            shared_name: attr.str(node),
            debug_name: attr.str(`${node}/`),
          },
        }),
      );
      return node;
    });
    const callName = call === 0 ? "StatefulPartitionedCall" : `StatefulPartitionedCall_${call}`;
    call++;
    taken.add(callName);
    outer.push(
      create(NodeDefSchema, {
        name: callName,
        op: "StatefulPartitionedCall",
        input: [...placeholders, ...resources],
        attr: {
          Tin: attr.types([
            ...signature.inputs.map((i) => i.dtype),
            ...signature.captures.map(() => "resource" as const),
          ]),
          Tout: attr.types(outputs.map((o) => o.dtype)),
          f: attr.func(name),
        },
      }),
    );
    signatureDefs[key] = create(SignatureDefSchema, {
      inputs: Object.fromEntries(
        signature.inputs.map((i, n) => [
          i.name,
          {
            encoding: { case: "name" as const, value: `${placeholders[n]}:0` },
            dtype: dataTypeOf(i.dtype),
            tensorShape: shapeProto(i.shape),
          },
        ]),
      ),
      outputs: Object.fromEntries(
        outputs.map((o, n) => [
          o.name,
          {
            encoding: { case: "name" as const, value: `${callName}:${n}` },
            dtype: dataTypeOf(o.dtype),
            tensorShape: shapeProto(o.shape),
          },
        ]),
      ),
      methodName: "tensorflow/serving/predict",
    });
  }
  const root = objects[0];
  if (root === undefined || root.kind.case !== "userObject") {
    throw new SavedModelError(
      "invalid-argument",
      cannot("write", "the SavedModel", "the variables tree's root is a variable, not an object"),
    );
  }
  for (const [attribute, fn] of Object.entries(spec.functions ?? {})) {
    const name = fn.builder.name;
    library.push(fn.builder.build());
    const specs = fn.inputs.map((i) => sv.tensorSpec(i.name, i.dtype, i.shape));
    const argument = fn.inputIsList ? sv.list(specs) : specs[0]!;
    const outs = fn.builder.returnedOutputs.map((o) => sv.tensorSpec(o.name, o.dtype, o.shape));
    concrete[name] = create(SavedConcreteFunctionSchema, {
      boundInputs: boundIds(fn.captures, numbered, `function "${attribute}"`),
      canonicalizedInputSignature: sv.tuple([sv.tuple([argument]), sv.dict({})]),
      outputSignature: fn.outputIsList ? sv.list(outs) : outs[0]!,
    });
    root.children.push({
      $typeName: "kerastore.savedmodel.ObjectReference",
      nodeId: objects.length,
      localName: attribute,
    });
    objects.push(
      create(SavedObjectSchema, {
        kind: {
          case: "function",
          value: {
            concreteFunctions: [name],
            functionSpec: { fullargspec: fullArgSpec([fn.argName], []), inputSignature: sv.tuple([argument]) },
          },
        },
      }),
    );
  }
  root.children.push({
    $typeName: "kerastore.savedmodel.ObjectReference",
    nodeId: objects.length,
    localName: "signatures",
  });
  objects.push(
    create(SavedObjectSchema, {
      children: mapChildren,
      kind: { case: "userObject", value: { identifier: "signature_map", version: { producer: 1, minConsumer: 1 } } },
    }),
  );
  const metaGraph = create(MetaGraphDefSchema, {
    metaInfoDef: create(MetaGraphDef_MetaInfoDefSchema, {
      tags: ["serve"],
      tensorflowVersion: spec.tensorflowVersion ?? "2.21.0",
      tensorflowGitVersion: "kerastore",
      strippedDefaultAttrs: true,
    }),
    graphDef: create(GraphDefSchema, { node: outer, versions: GRAPH_VERSIONS, library: { function: library } }),
    signatureDef: signatureDefs,
    objectGraphDef: create(SavedObjectGraphSchema, { nodes: objects, concreteFunctions: concrete }),
  });
  return toBinary(SavedModelSchema, create(SavedModelSchema, { savedModelSchemaVersion: 1n, metaGraphs: [metaGraph] }));
}
