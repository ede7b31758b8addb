import * as tf from "@tensorflow/tfjs-core";
import { avgPoolGrad } from "./avg-pool-grad.js";
import {
  BATCH_NORM_RELU_TRAIN,
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  batchNormReluTrainKernel,
  batchNormTrainGradKernel,
  batchNormTrainKernel,
  registerBatchNormTrainGradient,
} from "./batch-norm-train.js";
import { add, multiply, realDiv, sub } from "./broadcast-binary.js";
import { mean, sum } from "./column-reduce.js";
import { rememberNative } from "./composite.js";
import {
  CONV_BIAS_RELU,
  convBiasReluKernel,
  RELU_BIAS_GRAD,
  registerConvBiasReluGradient,
  reluBiasGradKernel,
} from "./conv-bias-relu.js";
import {
  conv2DBackpropFilter,
  conv2DBackpropInput,
  depthwiseBackpropFilter,
  depthwiseBackpropInput,
} from "./conv-grads.js";
import { conv3DBackpropFilter, conv3DBackpropInput } from "./conv3d-grads.js";
import { gatherV2 } from "./gather.js";
import {
  GLOBAL_AVG_POOL,
  GLOBAL_AVG_POOL_GRAD,
  globalAvgPoolGradKernel,
  globalAvgPoolKernel,
  registerGlobalAvgPoolGradient,
} from "./global-avg-pool.js";
import { cast, identity } from "./identity.js";
import { adamUpdate, rmspropUpdate, sgdUpdate } from "./optimizer-updates.js";
import { OWN_MATMUL, ownMatMulKernel } from "./own-matmul.js";
import {
  ADD_RELU,
  addReluKernel,
  RELU,
  RELU_GRAD,
  registerReluGradients,
  reluGradKernel,
  reluKernel,
} from "./relu-train.js";
import { maxPoolGrad } from "./pool-grads.js";
import { registerScaleShiftGradient, SCALE_SHIFT, scaleShiftKernel } from "./scale-shift.js";
import { unsortedSegmentSum } from "./segment-sum.js";
import { slice } from "./slice.js";
import { SOFTMAX_CE, SOFTMAX_CE_GRAD, softmaxCrossEntropyGradKernel, softmaxCrossEntropyKernel } from "./softmax-ce.js";
import { transpose } from "./transpose.js";
import { TRANSPOSE_BIAS_ACT, transposeBiasActKernel } from "./transpose-bias.js";

// Kernels the WASM backend of tfjs 4.22 lacks, computes unlike TensorFlow (MaxPoolGrad) or
// computes with a plain loop where XNNPACK's convolution does the same work (Conv2DBackpropInput),
// built from its native kernels; or runs slower than one pass in JavaScript (MaxPoolGrad, Sum and
// Mean over the leading axes, elementwise ops with a row broadcast along the leading axes); and
// fused optimizer updates (Kerastore*Update: one kernel per variable and step).
const KERNELS: Record<string, (args: never) => unknown> = {
  Add: add,
  Cast: cast,
  KerastoreAdamUpdate: adamUpdate,
  KerastoreRMSpropUpdate: rmspropUpdate,
  KerastoreSGDUpdate: sgdUpdate,
  [SCALE_SHIFT]: scaleShiftKernel,
  [TRANSPOSE_BIAS_ACT]: transposeBiasActKernel,
  [OWN_MATMUL]: ownMatMulKernel,
  [SOFTMAX_CE]: softmaxCrossEntropyKernel,
  [SOFTMAX_CE_GRAD]: softmaxCrossEntropyGradKernel,
  [BATCH_NORM_TRAIN]: batchNormTrainKernel,
  [BATCH_NORM_RELU_TRAIN]: batchNormReluTrainKernel,
  [BATCH_NORM_TRAIN_GRAD]: batchNormTrainGradKernel,
  [CONV_BIAS_RELU]: convBiasReluKernel,
  [RELU_BIAS_GRAD]: reluBiasGradKernel,
  [RELU]: reluKernel,
  [RELU_GRAD]: reluGradKernel,
  [ADD_RELU]: addReluKernel,
  [GLOBAL_AVG_POOL]: globalAvgPoolKernel,
  [GLOBAL_AVG_POOL_GRAD]: globalAvgPoolGradKernel,
  AvgPoolGrad: avgPoolGrad,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv3DBackpropFilterV2: conv3DBackpropFilter,
  Conv3DBackpropInputV2: conv3DBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  GatherV2: gatherV2,
  Identity: identity,
  MaxPoolGrad: maxPoolGrad,
  Mean: mean,
  Multiply: multiply,
  RealDiv: realDiv,
  Slice: slice,
  Sub: sub,
  Sum: sum,
  Transpose: transpose,
  UnsortedSegmentSum: unsortedSegmentSum,
};

let registered: string[] | undefined;

/** The kernels {@link registerWasmKernels} provides, by name. */
export function wasmCompositeKernels(): readonly string[] {
  return Object.keys(KERNELS).sort();
}

/**
 * Registers, for the WASM backend, the training kernels it lacks, built from its own kernels
 * (once; replaces WASM's MaxPoolGrad and Conv2DBackpropInput). Returns their names.
 */
export function registerWasmKernels(): string[] {
  if (registered !== undefined) return registered;
  for (const [kernelName, kernelFunc] of Object.entries(KERNELS)) {
    rememberNative(kernelName);
    if (tf.getKernel(kernelName, "wasm") !== undefined) tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  }
  registerScaleShiftGradient();
  registerBatchNormTrainGradient();
  registerConvBiasReluGradient();
  registerReluGradients();
  registerGlobalAvgPoolGradient();
  registered = wasmCompositeKernels().slice();
  return registered;
}
