import type { tf } from "@kerastore/engine";
import type { Kernel } from "@kerastore/savedmodel";
import { arrayKernels } from "./kernels-array.js";
import { mathKernels } from "./kernels-math.js";
import { nnKernels } from "./kernels-nn.js";

/**
 * The tfjs kernel table for SavedModel functions: TensorFlow op name -> tfjs computation.
 *
 * Copy and extend it to run ops it lacks: `createFunctionRunner(info, { ...backend, kernels:
 * { ...tfjsKernels, MyOp: ... } })`.
 */
export const tfjsKernels: Readonly<Record<string, Kernel<tf.Tensor>>> = Object.freeze({ ...arrayKernels, ...mathKernels, ...nnKernels });
