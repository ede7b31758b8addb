import * as tf from "@tensorflow/tfjs-core";
import { plainProduct } from "./matmul.js";
import { canFuseReluBiasGrad, reluBiasGrad } from "./wasm/dense-grad.js";
import { canTransposeBiasAct, transposeBiasAct } from "./wasm/transpose-bias.js";

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
  /**
   * Whether gradients must flow to `x` (false for a model's first layer: saves one product).
   * When absent: true, but inside {@link onlyVariableGradients} (a training step), whether `x`
   * comes, through the ops recorded so far, from a variable.
   */
  readonly inputGrad?: boolean | undefined;
}

// Set while a training step takes the gradients of variables alone (nothing differentiates the
// model's inputs).
let variablesOnly = false;

/** Runs `fn` (gradients of variables only, as `tf.variableGrads`) letting Dense skip unneeded input gradients. */
export function onlyVariableGradients<T>(fn: () => T): T {
  const outer = variablesOnly;
  variablesOnly = true;
  try {
    return fn();
  } finally {
    variablesOnly = outer;
  }
}

interface TapeNode {
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
}

/**
 * Whether a gradient can reach `x`: it is a variable, or an op recorded on the active gradient
 * tape made it from one. A model's input (cast, reshaped) cannot: its first Dense layer then
 * skips the input gradient's product (the MLP's 256 x 512 x 784: a quarter of its backward
 * pass). True when there is no tape to read.
 */
function reachedByGradient(x: tf.Tensor): boolean {
  const tape = (tf.engine() as unknown as { state?: { activeTape?: TapeNode[] | null } }).state?.activeTape;
  if (!Array.isArray(tape)) return true;
  const producer = new Map<number, TapeNode>();
  for (const node of tape) for (const o of node.outputs) if (o !== undefined && o !== null) producer.set(o.id, node);
  const seen = new Set<number>();
  const reached = (t: tf.Tensor): boolean => {
    if (t instanceof tf.Variable) return true;
    if (seen.has(t.id)) return false;
    seen.add(t.id);
    const node = producer.get(t.id);
    return node !== undefined && Object.values(node.inputs).some((i) => i !== undefined && i !== null && reached(i));
  };
  return reached(x);
}

/**
 * `activation(x @ kernel + bias)` for a 2-D `x`, with one hand-written gradient.
 *
 * The forward pass is tfjs's fused matMul kernel (one WASM call, in training too). The backward pass derives
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
  const inputGrad = options.inputGrad ?? (!variablesOnly || reachedByGradient(x));
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
    // The fused kernel itself: tfjs's fused op runs a product, a bias add and the activation
    // as three kernels whenever a gradient is being recorded (inside this op's forward pass).
    const [m, k] = x.shape;
    const n = kernel.shape[1];
    const inputs: Record<string, tf.Tensor> = {
      a: tf.reshape(x, [1, m, k]),
      b: tf.reshape(kernel, [1, k, n]),
    };
    if (bias !== undefined) inputs.bias = bias;
    const out = tf.engine().runKernel(
      "_FusedMatMul",
      inputs as never,
      {
        transposeA: false,
        transposeB: false,
        activation,
        leakyreluAlpha: 0.2,
      } as never,
    ) as tf.Tensor;
    const y = tf.reshape(out, [m, n]) as tf.Tensor2D;
    tf.dispose([inputs.a!, inputs.b!, out]);
    return y;
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

/**
 * Whether the training forward pass runs transposed: z^T = W^T x^T, then bias, activation and
 * the transpose back in one kernel. XNNPACK repacks the second operand of every product whose
 * tensor it has not seen (every training step's kernel) at ~4-6 ns an element: here it packs
 * x^T, [in, batch], instead of the kernel, [in, out], and x^T is the one the kernel gradient
 * needs anyway. Worth it when the batch is smaller than the layer's outputs (a 256-row batch
 * through 784 x 512: 0.85 ms of packing instead of 2.35 ms, for 0.3 ms of transposes). The sums
 * are the same products added with the bias last, not first: the output may differ in the
 * last bit.
 */
function transposedForward(batch: number, inputs: number, outputs: number, activation: DenseActivation): boolean {
  if ((activation !== "relu" && activation !== "linear") || transposedOff()) return false;
  if (Math.min(batch, inputs, outputs) < 16 || !canTransposeBiasAct()) return false;
  // Packing ~4.5 units an element, a transpose ~0.5 (x^T is needed by the gradient either way).
  return inputs * outputs * 0.5 + inputs * batch * 4.5 + batch * outputs * 0.5 < inputs * outputs * 4.5;
}

/**
 * Whether the input gradient runs as (W dz^T)^T: XNNPACK packs dz^T, [out, batch], instead of
 * W^T, [out, in] (the same packing trade as {@link transposedForward}).
 */
function transposedInputGrad(batch: number, inputs: number, outputs: number): boolean {
  if (Math.min(batch, inputs, outputs) < 16 || tf.getBackend() !== "wasm" || transposedOff()) return false;
  return outputs * batch * 5 + batch * inputs * 0.5 < inputs * outputs * 5;
}

/** KERASTORE_DENSE_TRANSPOSED=0 turns both transposed forms off (read at each call). */
const transposedOff = () =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.KERASTORE_DENSE_TRANSPOSED === "0";

function makeDense(activation: DenseActivation, hasBias: boolean, inputGrad: boolean): DenseFn {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const tensors = args as tf.Tensor[];
    const x = (inputGrad ? tensors.shift() : current) as tf.Tensor2D;
    const kernel = tensors[0] as tf.Tensor2D;
    const bias = hasBias ? tensors[1] : undefined;
    const [batch, inputs] = x.shape;
    const outputs = kernel.shape[1];
    // Transposed: the saved input is x^T.
    const transposed = bias !== undefined && transposedForward(batch, inputs, outputs, activation);
    let y: tf.Tensor2D;
    if (transposed) {
      const xT = tf.transpose(x) as tf.Tensor2D;
      y = transposeBiasAct(plainProduct(tf.transpose(kernel) as tf.Tensor2D, xT), bias, activation === "relu");
      save([xT, kernel, y]);
    } else {
      y = forward(x, kernel, bias, activation);
      save([x, kernel, y]);
    }
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sk, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        // relu and bias: one pass (WASM), the same values as the ops below.
        const fused = activation === "relu" && hasBias && canFuseReluBiasGrad(dy, sy);
        const [dz, db] = fused
          ? reluBiasGrad(dy as tf.Tensor2D, sy)
          : [activationGrad(dy, sy, activation) as tf.Tensor2D, undefined];
        const grads: tf.Tensor[] = [];
        if (inputGrad)
          grads.push(
            transposedInputGrad(batch, inputs, outputs)
              ? tf.transpose(plainProduct(sk, tf.transpose(dz) as tf.Tensor2D))
              : plainProduct(dz, tf.transpose(sk)),
          );
        grads.push(plainProduct(transposed ? sx : tf.transpose(sx), dz));
        if (hasBias) grads.push(db ?? tf.sum(dz, 0));
        return grads;
      },
    };
  }) as DenseFn;
}
