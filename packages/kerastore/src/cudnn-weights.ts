import type { SavedModelData, SavedNode, SavedVariable } from "@kerastore/core";
import { cudnnToCanonicalWeights, isCudnnRecurrent } from "@kerastore/engine";

/** A layer config's inner layer class (`Bidirectional`'s `layer`), if any. */
function innerClass(node: SavedNode): string | undefined {
  const layer = node.config?.layer;
  if (layer === null || typeof layer !== "object" || Array.isArray(layer)) return undefined;
  const name = (layer as Record<string, unknown>).class_name;
  return typeof name === "string" ? name : undefined;
}

/** `variables` with their values converted from cuDNN's layout (see cudnnToCanonicalWeights). */
function converted(className: string, variables: readonly SavedVariable[], where: string): SavedVariable[] {
  const values = cudnnToCanonicalWeights(
    className,
    variables.map((v) => v.value),
    where,
  );
  return variables.map((v, i) => ({ ...v, value: values[i]! }));
}

/**
 * A tree whose Keras 2 CuDNNLSTM / CuDNNGRU weights (also inside a Bidirectional) are in the
 * layout of the LSTM / GRU(reset_after=True) the engine builds for them, as Keras 2's HDF5
 * loader converted them. Other trees pass as they are.
 */
export function withCanonicalRecurrentWeights(data: SavedModelData): SavedModelData {
  const convert = (node: SavedNode): SavedNode => {
    const children = node.children.map((e) => ({ name: e.name, node: convert(e.node) }));
    const where = `layer "${node.name ?? node.className}"`;
    if (isCudnnRecurrent(node.className) && node.variables.length > 0) {
      return { ...node, children, variables: converted(node.className, node.variables, where) };
    }
    const inner = innerClass(node);
    if (
      node.className === "Bidirectional" &&
      inner !== undefined &&
      isCudnnRecurrent(inner) &&
      node.variables.length === 6
    ) {
      // Forward weights, then backward ones.
      const variables = [
        ...converted(inner, node.variables.slice(0, 3), `${where} (forward)`),
        ...converted(inner, node.variables.slice(3), `${where} (backward)`),
      ];
      return { ...node, children, variables };
    }
    return { ...node, children };
  };
  return { ...data, root: convert(data.root) };
}
