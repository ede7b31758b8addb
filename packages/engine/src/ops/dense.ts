import * as tf from "@tensorflow/tfjs-core";
import { plainProduct } from "./matmul.js";

/** The activations {@link dense} fuses into its kernel and differentiates from its output. */
export type DenseActivation = "linear" | "relu" | "relu6" | "sigmoid" | "tanh" | "elu";

const FUSED_IN_TFJS = new Set<DenseActivation>(["linear", "relu", "relu6", "sigmoid", "elu"]);

/** Whether {@link dense} handles this activation name itself. */
export function isDenseActivation(name: string): name is DenseActivation {
  return (
    name === "linear" || name === "relu" || name === "relu6" || name === "sigmoid" || name === "tanh" || name === "elu"
  );
}

/** Options of {@link dense}. */
export interface DenseOptions {
  /** Whether gradients must flow to `x` (false for a model's first layer: saves one product). */
  readonly inputGrad?: boolean | undefined;
}

/**
 * `activation(x @ kernel + bias)` for a 2-D `x`, with one hand-written gradient.
 *
 * The forward pass is tfjs's fused matMul kernel (one WASM call). The backward pass derives
 * the activation's derivative from the output (`relu`: y > 0, `sigmoid`: y(1-y), `tanh`:
 * 1-y^2), then uses explicit transposes and plain products, avoiding the slow transposed
 * products of tfjs's own gradient, and skips the input gradient when `inputGrad` is false.
 */
export function dense(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  activation: DenseActivation = "linear",
  options: DenseOptions = {},
): tf.Tensor2D {
  const inputGrad = options.inputGrad ?? true;
  const key = `${activation}/${bias === null ? "nobias" : "bias"}/${inputGrad ? "dx" : "nodx"}`;
  let fn = cache.get(key);
  if (fn === undefined) {
    fn = makeDense(activation, bias !== null, inputGrad);
    cache.set(key, fn);
  }
  if (inputGrad) return (bias === null ? fn(x, kernel) : fn(x, kernel, bias)) as tf.Tensor2D;
  // Without an input gradient, x is not an input of the custom-gradient function: tfjs then
  // asks for no gradient of it.
  return tf.tidy(() => {
    current = x;
    try {
      return (bias === null ? fn(kernel) : fn(kernel, bias)) as tf.Tensor2D;
    } finally {
      current = undefined;
    }
  });
}

// The input of a no-input-gradient call, passed beside the custom-gradient arguments.
let current: tf.Tensor2D | undefined;

type DenseFn = (...args: tf.Tensor[]) => tf.Tensor;
const cache = new Map<string, DenseFn>();

/**
 * The same product without the custom gradient: for inference, where no gradient is taken and
 * tfjs's fused kernel alone is the fastest path.
 */
export function denseForward(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor1D | null,
  activation: DenseActivation = "linear",
): tf.Tensor2D {
  return forward(x, kernel, bias ?? undefined, activation);
}

function forward(
  x: tf.Tensor2D,
  kernel: tf.Tensor2D,
  bias: tf.Tensor | undefined,
  activation: DenseActivation,
): tf.Tensor2D {
  if (FUSED_IN_TFJS.has(activation)) {
    const args: Parameters<typeof tf.fused.matMul>[0] = {
      a: x,
      b: kernel,
      activation: activation as "linear" | "relu" | "relu6" | "sigmoid" | "elu",
    };
    if (bias !== undefined) args.bias = bias;
    return tf.fused.matMul(args) as tf.Tensor2D;
  }
  const z = bias === undefined ? plainProduct(x, kernel) : tf.add(plainProduct(x, kernel), bias);
  return tf.tanh(z) as tf.Tensor2D;
}

/** dL/dz from dL/dy and y = activation(z). */
function activationGrad(dy: tf.Tensor, y: tf.Tensor, activation: DenseActivation): tf.Tensor {
  switch (activation) {
    case "linear":
      return dy;
    case "relu":
      return tf.mul(dy, tf.step(y));
    case "relu6":
      return tf.mul(dy, tf.mul(tf.step(y), tf.cast(tf.less(y, 6), "float32")));
    case "sigmoid":
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case "tanh":
      return tf.mul(dy, tf.sub(1, tf.square(y)));
    case "elu":
      // y > 0: 1; otherwise exp(z) = y + 1.
      return tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1)));
  }
}

function makeDense(activation: DenseActivation, hasBias: boolean, inputGrad: boolean): DenseFn {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const tensors = args as tf.Tensor[];
    const x = (inputGrad ? tensors.shift() : current) as tf.Tensor2D;
    const kernel = tensors[0] as tf.Tensor2D;
    const bias = hasBias ? tensors[1] : undefined;
    const y = forward(x, kernel, bias, activation);
    save([x, kernel, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sk, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const dz = activationGrad(dy, sy, activation) as tf.Tensor2D;
        const grads: tf.Tensor[] = [];
        if (inputGrad) grads.push(plainProduct(dz, tf.transpose(sk)));
        grads.push(plainProduct(tf.transpose(sx), dz));
        if (hasBias) grads.push(tf.sum(dz, 0));
        return grads;
      },
    };
  }) as DenseFn;
}
