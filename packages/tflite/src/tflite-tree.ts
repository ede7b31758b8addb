import { type NumericDType, type SavedNode, type SavedVariable, hostTensor, viewAs } from "@kerastore/core";
import { TensorType, type TfliteModel, builtinOperatorName } from "./tflite-model.js";

/**
 * NumPy dtype names of the TensorTypes a weight may have. Integer index constants (shapes, axes,
 * paddings: INT32, INT64) and booleans are operator arguments, not weights, and are left out.
 */
const DTYPES: Partial<Record<number, NumericDType>> = {
  [TensorType.FLOAT32]: "float32",
  [TensorType.FLOAT16]: "float16",
  [TensorType.UINT8]: "uint8",
  [TensorType.INT16]: "int16",
  [TensorType.INT8]: "int8",
  [TensorType.FLOAT64]: "float64",
};

/**
 * A TFLite model's first subgraph as a saved object tree: the root (class `TFLiteModel`) has
 * one child per operator in execution order (class = the operator's name, such as
 * `FULLY_CONNECTED`; name = its first output tensor's), holding its constant weight inputs
 * as variables named by their tensors. This is what `inspect` lists; the tree has no Keras config.
 */
export function tfliteToSavedTree(model: TfliteModel): SavedNode {
  const graph = model.subgraphs[0]!;
  const taken = new Set<number>();
  const children = graph.operators.map((op, i) => {
    const code = model.operatorCodes[op.opcodeIndex]!;
    const className = code.customCode ?? builtinOperatorName(code.builtinCode);
    const variables: SavedVariable[] = [];
    for (const index of op.inputs) {
      const t = index < 0 ? undefined : graph.tensors[index];
      const dtype = t === undefined ? undefined : DTYPES[t.type];
      const data = t === undefined ? undefined : model.buffers[t.buffer];
      if (t === undefined || dtype === undefined || data === undefined || data.length === 0 || taken.has(index))
        continue;
      taken.add(index);
      const bytes = data.byteOffset % 8 === 0 ? data : data.slice();
      variables.push({
        name: t.name,
        path: t.name,
        trainable: false,
        value: hostTensor(dtype, [...t.shape], viewAs(dtype, bytes)),
      });
    }
    const name = graph.tensors[op.outputs[0] ?? -1]?.name ?? `op_${i}`;
    return { name: `op_${i}`, node: { className, name, variables, children: [] } };
  });
  return { className: "TFLiteModel", name: graph.name ?? model.description ?? "tflite", variables: [], children };
}
