import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { EngineError } from "../errors.js";
import { envelope, preview } from "../keras-object.js";
import { type CallOptions, Layer } from "../layer.js";
import { addRelu } from "../ops/wasm/relu-train.js";

/**
 * Keras 3 operation nodes: `x + 3.0` or `keras.ops.mean(x, axis=1)` applied to a KerasTensor in a
 * functional model is recorded as a node of an operation (`{"module": "keras.src.ops.numpy",
 * "class_name": "Add", "config": {"name": "add"}}`), not of a layer; its arguments mix tensors
 * and constants (`"args": [tensor, 3.0]`). Each supported operation is one entry below: its
 * Keras class name, the module group it lives in, its config keys with their defaults, how many
 * tensor-or-constant arguments it takes, and its computation on tfjs (differentiable, so
 * training runs through it). Any other operation is refused by name.
 */

/** One argument of an operation node: a tensor (filled from the node's inputs) or a constant. */
export type OperationArg = { readonly tensor: true } | { readonly tensor: false; readonly value: number | NumberTree };
type NumberTree = readonly (number | NumberTree)[];

interface OperationSpec {
  /** The positional arguments (tensors or constants); "list" for one list of tensors (concatenate). */
  readonly arity: number | "list";
  /** Config keys beyond `name`, with Keras's defaults. */
  readonly keys?: Readonly<Record<string, JsonValue>>;
  readonly fn: (args: tf.Tensor[], config: JsonObject) => tf.Tensor;
}

const axisOf = (config: JsonObject): number | number[] | undefined => {
  const axis = config.axis;
  if (axis === null || axis === undefined) return undefined;
  return axis as number | number[];
};
const reduction = (f: (x: tf.Tensor, axis: number | number[] | undefined, keep: boolean) => tf.Tensor) => ({
  arity: 1,
  keys: { axis: null, keepdims: false },
  fn: ([x]: tf.Tensor[], c: JsonObject) => f(x!, axisOf(c), c.keepdims === true),
});
const unary = (f: (x: tf.Tensor) => tf.Tensor): OperationSpec => ({ arity: 1, fn: ([x]) => f(x!) });
const binary = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): OperationSpec => ({
  arity: 2,
  fn: ([a, b]) => f(a!, b!),
});
const hardSigmoid = (x: tf.Tensor): tf.Tensor => tf.div(tf.relu6(tf.add(x, 3)), 6);

/** keras.ops (keras.src.ops.numpy) operations. */
const NUMPY: Readonly<Record<string, OperationSpec>> = {
  Add: binary(tf.add),
  Subtract: binary(tf.sub),
  Multiply: binary(tf.mul),
  Divide: binary(tf.div),
  TrueDivide: binary(tf.div),
  Power: binary(tf.pow),
  Maximum: binary(tf.maximum),
  Minimum: binary(tf.minimum),
  Matmul: binary((a, b) => tf.matMul(a, b)),
  Negative: unary(tf.neg),
  Abs: unary(tf.abs),
  Absolute: unary(tf.abs),
  Sign: unary(tf.sign),
  Floor: unary(tf.floor),
  Ceil: unary(tf.ceil),
  Reciprocal: unary(tf.reciprocal),
  Log1p: unary(tf.log1p),
  Expm1: unary(tf.expm1),
  Sin: unary(tf.sin),
  Cos: unary(tf.cos),
  Square: unary(tf.square),
  Sqrt: unary(tf.sqrt),
  Exp: unary(tf.exp),
  Log: unary(tf.log),
  Tanh: unary(tf.tanh),
  Mean: reduction((x, axis, keep) => tf.mean(x, axis, keep)),
  Sum: reduction((x, axis, keep) => tf.sum(x, axis, keep)),
  Max: { ...reduction((x, axis, keep) => tf.max(x, axis, keep)), keys: { axis: null, keepdims: false, initial: null } },
  Min: { ...reduction((x, axis, keep) => tf.min(x, axis, keep)), keys: { axis: null, keepdims: false, initial: null } },
  Reshape: { arity: 1, keys: { newshape: null }, fn: ([x], c) => tf.reshape(x!, c.newshape as number[]) },
  Transpose: {
    arity: 1,
    keys: { axes: null },
    fn: ([x], c) => tf.transpose(x!, (c.axes as number[] | null) ?? undefined),
  },
  ExpandDims: { arity: 1, keys: { axis: 0 }, fn: ([x], c) => tf.expandDims(x!, c.axis as number) },
  Squeeze: { arity: 1, keys: { axis: null }, fn: ([x], c) => tf.squeeze(x!, asList(axisOf(c))) },
  Clip: {
    arity: 1,
    keys: { x_min: null, x_max: null },
    fn: ([x], c) => tf.clipByValue(x!, c.x_min as number, c.x_max as number),
  },
  Concatenate: { arity: "list", keys: { axis: 0 }, fn: (xs, c) => tf.concat(xs, c.axis as number) },
};

/** keras.ops.nn (keras.src.ops.nn) operations. */
const NN: Readonly<Record<string, OperationSpec>> = {
  Relu: unary(tf.relu),
  Relu6: unary(tf.relu6),
  Sigmoid: unary(tf.sigmoid),
  HardSigmoid: unary(hardSigmoid),
  HardSilu: unary((x) => tf.mul(x, hardSigmoid(x))),
  Silu: unary((x) => tf.mul(x, tf.sigmoid(x))),
  Softplus: unary(tf.softplus),
  Selu: unary(tf.selu),
  Tanh: unary(tf.tanh),
  Elu: {
    arity: 1,
    keys: { alpha: 1.0 },
    fn: ([x], c) => tf.where(tf.greater(x!, 0), x!, tf.mul(tf.expm1(x!), c.alpha as number)),
  },
  LeakyRelu: { arity: 1, keys: { negative_slope: 0.2 }, fn: ([x], c) => tf.leakyRelu(x!, c.negative_slope as number) },
  Softmax: { arity: 1, keys: { axis: -1 }, fn: ([x], c) => tf.softmax(x!, c.axis as number) },
  Gelu: {
    arity: 1,
    keys: { approximate: true },
    fn: ([x], c) =>
      c.approximate === false
        ? tf.mul(tf.mul(x!, 0.5), tf.add(tf.erf(tf.mul(x!, Math.SQRT1_2)), 1))
        : tf.mul(
            tf.mul(x!, 0.5),
            tf.add(tf.tanh(tf.mul(tf.add(x!, tf.mul(tf.pow(x!, 3), 0.044715)), Math.sqrt(2 / Math.PI))), 1),
          ),
  },
};

const asList = (axis: number | number[] | undefined): number[] | undefined =>
  axis === undefined ? undefined : Array.isArray(axis) ? axis : [axis];

const GROUPS: Readonly<Record<string, Readonly<Record<string, OperationSpec>>>> = {
  "keras.src.ops.numpy": NUMPY,
  "keras.src.ops.nn": NN,
};

/** Whether a config entry's module is one of Keras 3's operation modules (`keras.src.ops.*`). */
export function isOperationModule(module: string | null): boolean {
  return module !== null && /^keras(\.src)?\.ops(\.|$)/.test(module);
}

/**
 * The operation module of a config entry that names no module, if it is an operation: Keras 3's
 * legacy `.h5` drops `module`, leaving `{"class_name": "Add", "config": {"name": "add"}}`, which
 * Keras itself then reads as the layer Add (and fails on `x + 3.0`). A layer's config always has
 * `trainable` and `dtype`; an operation's has its name and only its own keys.
 */
export function operationModuleOf(module: string | null, className: string, config: JsonObject): string | undefined {
  if (isOperationModule(module)) return module!;
  if (module !== null || "trainable" in config || "dtype" in config || typeof config.name !== "string")
    return undefined;
  // Only the operation's own keys besides its name (a Reshape layer's `target_shape` is not one).
  return Object.keys(GROUPS).find((m) => {
    const spec = Object.hasOwn(GROUPS[m]!, className) ? GROUPS[m]![className] : undefined;
    return (
      spec !== undefined && Object.keys(config).every((key) => key === "name" || Object.hasOwn(spec.keys ?? {}, key))
    );
  });
}

/** The operation names Kerastore runs, as `module.ClassName`. */
export function supportedOperations(): string[] {
  return Object.entries(GROUPS).flatMap(([m, specs]) => Object.keys(specs).map((n) => `${m}.${n}`));
}

/** A node of a Keras 3 operation in a functional model: no weights, tensors and constants in. */
export class KerasOperation extends Layer {
  static override readonly className: string = "Operation";
  static override readonly module: string = "keras.src.ops.numpy";
  /** The engine passes every tensor argument in a list (spread-inputs.ts). */
  static readonly spreadInputs = true;

  readonly opName: string;
  readonly opModule: string;
  readonly opConfig: JsonObject;
  private readonly spec: OperationSpec;
  /** The arguments of its call: tensor slots and constants, as its node in the config gives them. */
  private template: readonly OperationArg[] | undefined;

  constructor(module: string, className: string, config: JsonObject) {
    const spec = specOf(module, className);
    super({ name: typeof config.name === "string" ? config.name : undefined });
    this.opName = className;
    this.opModule = module.replace(/^keras\.ops/, "keras.src.ops");
    this.spec = spec;
    const own: JsonObject = {};
    for (const [key, fallback] of Object.entries(spec.keys ?? {})) own[key] = config[key] ?? fallback;
    this.opConfig = own;
  }

  override get className(): string {
    return this.opName;
  }

  /** Whether it is keras.ops.add (`x + y` in a functional model). */
  get isAdd(): boolean {
    return this.opName === "Add" && this.opModule === "keras.src.ops.numpy";
  }

  /** Whether its tensors come as one list argument (concatenate), not as separate ones. */
  get takesList(): boolean {
    return this.spec.arity === "list";
  }

  /** Sets the arguments of its node (once; a second node must pass the same constants). */
  setArguments(args: readonly OperationArg[], where: string): void {
    const arity = this.spec.arity;
    if (arity !== "list" && args.length !== arity) {
      throw new EngineError(
        "invalid-config",
        cannot("read", where, `operation ${this.opName} takes ${arity} arguments, the node passes ${args.length}`),
      );
    }
    if (this.template !== undefined && JSON.stringify(this.template) !== JSON.stringify(args)) {
      throw new EngineError(
        "unsupported",
        cannot("read", where, `operation "${this.name}" is called twice with different constants`),
      );
    }
    this.template = args;
  }

  /** The node's `args` as Keras writes them, the tensors' JSON put in their slots. */
  nodeArgs(tensors: readonly JsonValue[]): JsonValue[] {
    if (this.spec.arity === "list") return [[...tensors]];
    let next = 0;
    return (this.template ?? tensors.map(() => ({ tensor: true }) as const)).map((a) =>
      a.tensor ? tensors[next++]! : (a.value as JsonValue),
    );
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions = {}): tf.Tensor {
    const tensors = Array.isArray(inputs) ? inputs : [inputs];
    return tf.tidy(() => {
      if (this.spec.arity === "list") return this.spec.fn(tensors, this.opConfig);
      const dtype = tensors[0]?.dtype ?? "float32";
      let next = 0;
      const template = this.template ?? tensors.map(() => ({ tensor: true }) as const);
      const args = template.map((a) => (a.tensor ? tensors[next++]! : tf.tensor(a.value as number, undefined, dtype)));
      // A ReLU after (../relu-fusion.ts, `add` only): the sum and the ReLU in one pass.
      if (options.reluAfter === true && this.isAdd && args.length === 2) return addRelu(args[0]!, args[1]!);
      return this.spec.fn(args, this.opConfig);
    });
  }

  override getConfig(): JsonObject {
    return { name: this.name, ...this.opConfig };
  }

  /** Its envelope as Keras 3 writes it: the operation's module, class and registered name. */
  serialize(): JsonObject {
    return envelope(this.opModule, this.opName, this.getConfig(), this.opName);
  }
}

function specOf(module: string, className: string): OperationSpec {
  const group = GROUPS[module.replace(/^keras\.ops/, "keras.src.ops")];
  const spec = group !== undefined && Object.hasOwn(group, className) ? group[className] : undefined;
  if (spec === undefined) {
    throw new EngineError(
      "unsupported",
      cannot(
        "deserialize",
        `operation "${module}.${className}"`,
        `Keras operation ${className} (${module}) is not supported by Kerastore yet (docs/layers.md lists the operations it runs)`,
        "write the computation with Keras layers and save the model again",
      ),
    );
  }
  return spec;
}

/** Reads one argument of an operation node that is not a tensor: a number or a nested list of numbers. */
export function constantArg(json: JsonValue | undefined, where: string): OperationArg {
  const ok = (v: JsonValue | undefined): boolean =>
    typeof v === "number" || (Array.isArray(v) && v.length <= 1_000_000 && v.every(ok));
  if (typeof json === "boolean") return { tensor: false, value: json ? 1 : 0 };
  if (!ok(json)) {
    throw new EngineError(
      "unsupported",
      cannot(
        "read",
        where,
        `an operation argument ${preview(json)} is neither a tensor nor a number: ${isJsonObject(json) ? "serialized objects" : "such values"} are not supported by Kerastore yet`,
      ),
    );
  }
  return { tensor: false, value: json as number | NumberTree };
}
