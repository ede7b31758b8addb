import type { Kernel } from "@kerastore/savedmodel";
import { arrayKernels } from "./kernels-array.js";
import { mathKernels } from "./kernels-math.js";
import { nnKernels } from "./kernels-nn.js";
import { type GraphValue, tensorListKernels } from "./tensor-list.js";

/**
 * The tfjs kernel table for SavedModel functions: TensorFlow op name -> tfjs computation.
 *
 * Values are tfjs tensors, and `TensorList`s for the list ops of loops.
 * Copy and extend it to run ops it lacks: `createFunctionRunner(info, { ...backend, kernels:
 * { ...tfjsKernels, MyOp: ... } })`.
 */
export const tfjsKernels: Readonly<Record<string, Kernel<GraphValue>>> = Object.freeze({
  // Tensor kernels only ever see tensors: TensorLists flow only between the list ops.
  ...(arrayKernels as unknown as Record<string, Kernel<GraphValue>>),
  ...(mathKernels as unknown as Record<string, Kernel<GraphValue>>),
  ...(nnKernels as unknown as Record<string, Kernel<GraphValue>>),
  ...tensorListKernels,
});
