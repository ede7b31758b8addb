import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import { EngineError } from "./errors.js";
import type { Layer } from "./layer.js";
import { backendDtype } from "./dtypes.js";
import { checkTemporary } from "./weight-budget.js";
import { KerasTensor, type LayerNode, type Shape } from "./symbolic.js";

/** Keyword arguments Keras records for a layer's calls, by class (`{"mask": null}`). */
export function recordedKwargs(layer: Layer): JsonObject {
  const kw = (layer.constructor as unknown as { callKwargs?: JsonObject }).callKwargs;
  return kw === undefined ? {} : { ...kw };
}

/**
 * Calls a layer on symbolic tensors: builds it, finds the output shapes, records the node.
 */
export function callSymbolic(
  layer: Layer,
  inputs: KerasTensor | readonly KerasTensor[],
  kwargs?: JsonObject,
): KerasTensor[] {
  const list = Array.isArray(inputs) ? [...(inputs as KerasTensor[])] : [inputs as KerasTensor];
  const isList = Array.isArray(inputs);
  const shape: Shape | Shape[] = isList ? list.map((t) => [...t.shape]) : [...list[0]!.shape];
  layer.maybeBuild(shape);
  const outShape = layer.computeOutputShape(shape) ?? inferOutputShape(layer, list, isList);
  const shapes = isMultiShape(outShape) ? outShape : [outShape];
  const nodeIndex = layer.inboundNodes.length;
  const outputs = shapes.map(
    (s, i) => new KerasTensor(s, outputDtype(layer, list), { layer, nodeIndex, tensorIndex: i }),
  );
  const node: LayerNode = {
    layer,
    inputs: list,
    inputIsList: isList,
    outputs,
    kwargs: kwargs ?? recordedKwargs(layer),
  };
  layer.inboundNodes.push(node);
  return outputs;
}

function outputDtype(layer: Layer, inputs: readonly KerasTensor[]): string {
  const own = (layer.constructor as unknown as { outputDtype?: "input" }).outputDtype;
  return own === "input" ? (inputs[0]?.dtype ?? layer.dtype) : layer.dtype;
}

/** True for a list of shapes (rather than one shape). */
export function isMultiShape(s: Shape | Shape[]): s is Shape[] {
  return s.length > 0 && Array.isArray(s[0]);
}

// Runs the layer once on zeros (unknown dimensions as 1) and reads the shapes back, marking
// the batch axis unknown again when the input's was.
function inferOutputShape(layer: Layer, inputs: readonly KerasTensor[], isList: boolean): Shape | Shape[] {
  const batchUnknown = inputs.some((t) => t.shape[0] === null);
  const what = `layer "${layer.name}" (${layer.className})`;
  for (const t of inputs)
    checkTemporary(
      what,
      t.shape.map((d) => d ?? 1),
    );
  try {
    const zeros = inputs.map((t) =>
      tf.zeros(
        t.shape.map((d) => d ?? 1),
        backendDtype(t.dtype),
      ),
    );
    const out = layer.withScope(() => layer.call(isList ? zeros : zeros[0]!, { training: false }));
    const shapeOf = (t: tf.Tensor): Shape => t.shape.map((d, i) => (i === 0 && batchUnknown ? null : d));
    const shapes = Array.isArray(out) ? out.map(shapeOf) : shapeOf(out);
    for (const t of [...zeros, ...(Array.isArray(out) ? out : [out])]) if (!zeros.includes(t) || t === out) t.dispose();
    for (const t of zeros) if (!t.isDisposed) t.dispose();
    return shapes;
  } catch (cause) {
    throw new EngineError(
      "invalid-shape",
      cannot(
        "call",
        `layer "${layer.name}" (${layer.className})`,
        `it fails on inputs of shape ${inputs.map((t) => `(${t.shape.join(", ")})`).join(", ")}: ${(cause as Error).message}`,
      ),
      { cause },
    );
  }
}
