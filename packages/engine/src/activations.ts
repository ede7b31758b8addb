import * as tf from "@tensorflow/tfjs-core";
import { type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { EngineError } from "./errors.js";
import { type FromConfigContext, lookupCustomFunction, preview } from "./keras-object.js";
import { attachLogits } from "./training/losses/logits.js";

/** An activation function on tensors. */
export type ActivationFn = (x: tf.Tensor) => tf.Tensor;

/** An activation with the name configs use for it. */
export interface Activation {
  /** The Keras name (`relu`), or the custom function's name. */
  readonly name: string;
  readonly fn: ActivationFn;
  /** False for a user function, which configs write as a custom object. */
  readonly builtin: boolean;
}

/** What a layer option accepts: a Keras name, a function (named by its `name`), or one of these. */
export type ActivationLike = string | ActivationFn | Activation;

const hardSigmoid3: ActivationFn = (x) => tf.div(tf.relu6(tf.add(x, 3)), 6);
const hardSigmoid2: ActivationFn = (x) => tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1);
const SQRT1_2 = Math.SQRT1_2;

const BUILTINS: Record<string, ActivationFn> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  relu6: (x) => tf.relu6(x),
  // As Keras: the output remembers its logits, which crossentropy losses use.
  sigmoid: (x) => attachLogits(tf.sigmoid(x), x),
  tanh: (x) => tf.tanh(x),
  softmax: (x) => attachLogits(tf.softmax(x, -1), x),
  log_softmax: (x) => tf.logSoftmax(x, -1),
  softplus: (x) => tf.softplus(x),
  softsign: (x) => tf.div(x, tf.add(tf.abs(x), 1)),
  selu: (x) => tf.selu(x),
  elu: (x) => tf.elu(x),
  celu: (x) => tf.where(tf.greater(x, 0), x, tf.expm1(x)),
  exponential: (x) => tf.exp(x),
  hard_sigmoid: hardSigmoid3,
  hard_silu: (x) => tf.mul(x, hardSigmoid3(x)),
  hard_swish: (x) => tf.mul(x, hardSigmoid3(x)),
  gelu: (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, SQRT1_2)), 1)),
  silu: (x) => tf.mul(x, tf.sigmoid(x)),
  swish: (x) => tf.mul(x, tf.sigmoid(x)),
  mish: (x) => tf.mul(x, tf.tanh(tf.softplus(x))),
  leaky_relu: (x) => tf.leakyRelu(x, 0.2),
  log_sigmoid: (x) => tf.neg(tf.softplus(tf.neg(x))),
  hard_tanh: (x) => tf.clipByValue(x, -1, 1),
  tanh_shrink: (x) => tf.sub(x, tf.tanh(x)),
  soft_shrink: (x) =>
    tf.where(tf.greater(x, 0.5), tf.sub(x, 0.5), tf.where(tf.less(x, -0.5), tf.add(x, 0.5), tf.zerosLike(x))),
  hard_shrink: (x) => tf.where(tf.greater(tf.abs(x), 0.5), x, tf.zerosLike(x)),
  squareplus: (x) => tf.div(tf.add(x, tf.sqrt(tf.add(tf.square(x), 4))), 2),
  sparse_plus: (x) =>
    tf.where(
      tf.lessEqual(x, -1),
      tf.zerosLike(x),
      tf.where(tf.greaterEqual(x, 1), x, tf.div(tf.square(tf.add(x, 1)), 4)),
    ),
};

/** Definitions Keras 2 had and Keras 3 changed. */
const KERAS2: Record<string, ActivationFn> = { hard_sigmoid: hardSigmoid2 };

/** The names of every built-in activation. */
export const activationNames: readonly string[] = Object.freeze(Object.keys(BUILTINS));

/**
 * Resolves an activation by name (as the given Keras version defined it), by function, or from
 * a config value (a name, or Keras 3's `{"class_name": "function", "config": "<name>"}` for a
 * custom function, which must be in `customObjects`).
 */
export function getActivation(id: ActivationLike | JsonValue | undefined, ctx: FromConfigContext = {}): Activation {
  if (id === undefined || id === null) return { name: "linear", fn: BUILTINS.linear!, builtin: true };
  if (typeof id === "function") return { name: id.name || "custom_activation", fn: id, builtin: false };
  if (typeof id === "string") return byName(id, ctx);
  if (typeof id === "object" && !Array.isArray(id) && "fn" in id && "name" in id) return id as Activation;
  if (isJsonObject(id)) {
    // Keras 3 writes a custom function as {"class_name": "function", "config": "<name>"}; a
    // builtin may appear as {"class_name": "<name>"} in Keras 2 era files.
    const name =
      typeof id.config === "string" ? id.config : typeof id.class_name === "string" ? id.class_name : undefined;
    if (name !== undefined) return byName(name, ctx);
    throw new EngineError("invalid-config", cannot("read", "an activation", `expected a name, got ${preview(id)}`));
  }
  throw new EngineError(
    "invalid-config",
    cannot("read", "an activation", `expected a name, got ${preview(id as JsonValue)}`),
  );
}

function byName(name: string, ctx: FromConfigContext): Activation {
  const custom = lookupCustomFunction(ctx, "activation", name);
  if (custom !== undefined) return { name, fn: custom as ActivationFn, builtin: false };
  const fn = (ctx.kerasVersion === 2 ? KERAS2[name] : undefined) ?? BUILTINS[name];
  if (fn === undefined) {
    throw new EngineError(
      "unknown-object",
      cannot("find", `activation "${name}"`, "it is not a Keras activation", "pass the function in customObjects"),
    );
  }
  return { name, fn, builtin: true };
}

/**
 * For an activation whose definition Keras 3 changed (so far only `hard_sigmoid`): which Keras's
 * definition it computes, 2 or 3. Undefined for every other activation, the same in both. A
 * model read from a Keras 2 file computes Keras 2's; a file only says the name, which its reader
 * computes as its own Keras defines it.
 */
export function changedDefinition(a: Activation): 2 | 3 | undefined {
  const old = KERAS2[a.name];
  if (!a.builtin || old === undefined) return undefined;
  return a.fn === old ? 2 : a.fn === BUILTINS[a.name] ? 3 : undefined;
}

/** The config value of an activation: its name for built-ins, Keras 3's function envelope otherwise. */
export function serializeActivation(a: Activation): JsonValue {
  if (a.builtin) return a.name;
  return { module: "builtins", class_name: "function", config: a.name, registered_name: "function" };
}
