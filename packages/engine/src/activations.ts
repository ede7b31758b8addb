import * as tf from "@tensorflow/tfjs-core";
import { type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { type Registry, defaultRegistry } from "@kerastore/registry";
import { EngineError } from "./errors.js";
import { type FromConfigContext, checkedFunction, preview } from "./keras-object.js";
import { relu } from "./ops/wasm/relu-train.js";
import { resolveObject, unknownObjectError } from "./resolve-object.js";
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
const linear: ActivationFn = (x) => x;

/** The one definition Keras 2 had and Keras 3 changed: `hard_sigmoid`. */
const CHANGED = "hard_sigmoid";

const names: string[] = [];

/**
 * Registers the built-in activations into `registry` (the registry's built-in table, from
 * `installBuiltins()`): each under its Keras name, kind `activation`.
 */
export function installActivations(registry: Registry): void {
  const add = (name: string, fn: ActivationFn): void => {
    registry.register(name, fn, { kind: "activation", module: "keras.activations", className: name });
    if (!names.includes(name)) names.push(name);
  };
  add("linear", linear);
  // While training on WASM: the engine's ReLU kernel, with a one-pass gradient.
  add("relu", (x) => relu(x));
  add("relu6", (x) => tf.relu6(x));
  // As Keras: the output remembers its logits, which crossentropy losses use.
  add("sigmoid", (x) => attachLogits(tf.sigmoid(x), x));
  add("tanh", (x) => tf.tanh(x));
  add("softmax", (x) => attachLogits(tf.softmax(x, -1), x));
  add("log_softmax", (x) => tf.logSoftmax(x, -1));
  add("softplus", (x) => tf.softplus(x));
  add("softsign", (x) => tf.div(x, tf.add(tf.abs(x), 1)));
  add("selu", (x) => tf.selu(x));
  add("elu", (x) => tf.elu(x));
  add("celu", (x) => tf.where(tf.greater(x, 0), x, tf.expm1(x)));
  add("exponential", (x) => tf.exp(x));
  add(CHANGED, hardSigmoid3);
  add("hard_silu", (x) => tf.mul(x, hardSigmoid3(x)));
  add("hard_swish", (x) => tf.mul(x, hardSigmoid3(x)));
  add("gelu", (x) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, SQRT1_2)), 1)));
  add("silu", (x) => tf.mul(x, tf.sigmoid(x)));
  add("swish", (x) => tf.mul(x, tf.sigmoid(x)));
  add("mish", (x) => tf.mul(x, tf.tanh(tf.softplus(x))));
  add("leaky_relu", (x) => tf.leakyRelu(x, 0.2));
  add("log_sigmoid", (x) => tf.neg(tf.softplus(tf.neg(x))));
  add("hard_tanh", (x) => tf.clipByValue(x, -1, 1));
  add("tanh_shrink", (x) => tf.sub(x, tf.tanh(x)));
  add("soft_shrink", (x) =>
    tf.where(tf.greater(x, 0.5), tf.sub(x, 0.5), tf.where(tf.less(x, -0.5), tf.add(x, 0.5), tf.zerosLike(x))),
  );
  add("hard_shrink", (x) => tf.where(tf.greater(tf.abs(x), 0.5), x, tf.zerosLike(x)));
  add("squareplus", (x) => tf.div(tf.add(x, tf.sqrt(tf.add(tf.square(x), 4))), 2));
  add("sparse_plus", (x) =>
    tf.where(
      tf.lessEqual(x, -1),
      tf.zerosLike(x),
      tf.where(tf.greaterEqual(x, 1), x, tf.div(tf.square(tf.add(x, 1)), 4)),
    ),
  );
}

/** The names of every built-in activation (filled by `installBuiltins()`, which the engine's entry point runs). */
export const activationNames: readonly string[] = names;

/**
 * Resolves an activation by name (as the given Keras version defined it), by function, or from
 * a config value (a name, or Keras 3's `{"class_name": "function", "config": "<name>"}` for a
 * custom function). Names resolve through the one registry order (`resolveObject`).
 */
export function getActivation(id: ActivationLike | JsonValue | undefined, ctx: FromConfigContext = {}): Activation {
  if (id === undefined || id === null) return { name: "linear", fn: linear, builtin: true };
  if (typeof id === "function") {
    // A registered function keeps its registered name (`MyPkg>fn`), as Keras writes it.
    const name = (ctx.registry ?? defaultRegistry).nameOf(id) ?? (id.name || "custom_activation");
    return { name, fn: id, builtin: false };
  }
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
  const found = resolveObject("activation", [name], ctx);
  if (found === undefined) throw unknownObjectError("activation", name);
  const fn = checkedFunction(found.value, "activation", name) as ActivationFn;
  if (found.source !== "builtin") return { name, fn, builtin: false };
  return { name, fn: ctx.kerasVersion === 2 && name === CHANGED ? hardSigmoid2 : fn, builtin: true };
}

/**
 * For an activation whose definition Keras 3 changed (so far only `hard_sigmoid`): which Keras's
 * definition it computes, 2 or 3. Undefined for every other activation, the same in both. A
 * model read from a Keras 2 file computes Keras 2's; a file only says the name, which its reader
 * computes as its own Keras defines it.
 */
export function changedDefinition(a: Activation): 2 | 3 | undefined {
  if (!a.builtin || a.name !== CHANGED) return undefined;
  return a.fn === hardSigmoid2 ? 2 : a.fn === hardSigmoid3 ? 3 : undefined;
}

/** The config value of an activation: its name for built-ins, Keras 3's function envelope otherwise. */
export function serializeActivation(a: Activation): JsonValue {
  if (a.builtin) return a.name;
  return { module: "builtins", class_name: "function", config: a.name, registered_name: "function" };
}
