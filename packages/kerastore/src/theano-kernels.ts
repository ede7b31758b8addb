import type { SavedModelData, SavedNode } from "@kerastore/core";
import { flipConvKernel } from "@kerastore/engine";

// Convolution classes whose kernels Keras 2 flipped when loading a Theano-backend file.
const CONV_CLASSES = new Set([
  "Conv1D",
  "Conv2D",
  "Conv3D",
  "Conv2DTranspose",
  "Convolution1D",
  "Convolution2D",
  "Convolution3D",
  "Deconvolution2D",
]);

/**
 * A tree read from a file written with the Theano backend, with every convolution kernel in
 * TensorFlow's orientation. Theano convolved (flipping the kernel) where TensorFlow correlates,
 * so Keras 2 flipped the spatial axes of each conv kernel on load; we do the same, or such a
 * model would predict something else than it did when it was trained. Other trees pass as they are.
 */
export function withTensorflowKernels(data: SavedModelData): SavedModelData {
  if (data.backend !== "theano") return data;
  const flip = (node: SavedNode): SavedNode => {
    const children = node.children.map((e) => ({ name: e.name, node: flip(e.node) }));
    if (!CONV_CLASSES.has(node.className) || node.variables.length === 0) return { ...node, children };
    const [kernel, ...rest] = node.variables;
    return { ...node, children, variables: [{ ...kernel!, value: flipConvKernel(kernel!.value) }, ...rest] };
  };
  return { ...data, root: flip(data.root) };
}
