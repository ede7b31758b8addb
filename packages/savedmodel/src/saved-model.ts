import type { HostTensor } from "@kerastore/core";
import type { FunctionDef, GraphDef } from "./gen/graph_pb.js";
import type { PartialShape } from "./shape.js";
import type { Structure } from "./structure.js";

/** One input or output of a signature, as the `SignatureDef` records it. */
export interface SignatureTensor {
  /** The graph tensor it stands for in the meta graph (`serving_default_x:0`). */
  readonly tensorName: string;
  readonly dtype: string;
  readonly shape: PartialShape;
}

/** A serving signature: named inputs and outputs, and the concrete function that computes it. */
export interface SavedSignature {
  readonly key: string;
  /** `tensorflow/serving/predict` and the like. */
  readonly methodName: string;
  readonly inputs: Readonly<Record<string, SignatureTensor>>;
  readonly outputs: Readonly<Record<string, SignatureTensor>>;
  /**
   * The concrete function behind it, found through the root's `signatures` child; undefined for
   * signatures without one (`__saved_model_init_op`), which cannot be called.
   */
  readonly functionName: string | undefined;
}

/** A variable of the object graph, with its value from `variables/variables`. */
export interface SavedModelVariable {
  /** Object graph node id (equal to the checkpoint's node id). */
  readonly nodeId: number;
  /** The variable's name without `:0` (`dense/kernel`). */
  readonly name: string;
  readonly dtype: string;
  readonly shape: PartialShape;
  readonly trainable: boolean;
  /** The saved value; undefined when read with `values: false`. */
  readonly value: HostTensor | undefined;
}

/** What kind of object a node of the object graph is. */
export type SavedObjectKind =
  | "user_object"
  | "asset"
  | "function"
  | "variable"
  | "bare_concrete_function"
  | "constant"
  | "resource"
  | "captured_tensor"
  | "unknown";

/** One node of the SavedModel's object graph. */
export interface SavedObject {
  readonly id: number;
  readonly kind: SavedObjectKind;
  /** Named edges to other nodes, in the saved order. */
  readonly children: readonly { readonly name: string; readonly id: number }[];
  /** For user objects, the Python-side identifier (`_generic_user_object`, `signature_map`). */
  readonly identifier: string;
  /** For functions, their concrete functions' names; for bare concrete functions, the one name. */
  readonly concreteFunctions: readonly string[];
  /** For constants, the `Const` node of the meta graph holding the value. */
  readonly operation: string;
  /** For functions, the Python argument names (without `self`), from the saved FullArgSpec. */
  readonly argNames: readonly string[];
  /** For functions, the Python defaults of the last `defaults.length` arguments. */
  readonly defaults: readonly Structure[];
}

/** A traced function with what it captures and how its inputs and outputs nest. */
export interface SavedConcreteFunction {
  readonly name: string;
  /** Object graph node ids bound to the function's trailing inputs, in order. */
  readonly boundInputs: readonly number[];
  /** `(args, kwargs)` as Python passes them. */
  readonly inputSignature: Structure;
  readonly outputSignature: Structure;
}

/** A SavedModel directory as read: everything a graph-only loader needs. */
export interface SavedModelInfo {
  /** Where it was read from, for messages. */
  readonly where: string;
  readonly schemaVersion: number;
  readonly tags: readonly string[];
  readonly tensorflowVersion: string;
  readonly signatures: Readonly<Record<string, SavedSignature>>;
  readonly objects: readonly SavedObject[];
  /** Root children that are functions (`serve`, `__call__`), by edge name. */
  readonly rootFunctions: Readonly<Record<string, readonly string[]>>;
  readonly variables: readonly SavedModelVariable[];
  readonly concreteFunctions: ReadonlyMap<string, SavedConcreteFunction>;
  /** The function library by name. */
  readonly library: ReadonlyMap<string, FunctionDef>;
  /** The meta graph's own graph (top-level nodes, used for saved constants). */
  readonly graph: GraphDef | undefined;
}
