import * as tf from "@tensorflow/tfjs-core";
import { requireBackend } from "./backend-check.js";
import { type HostTensor, type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { type ConfigField, decodeField, encodeField, field, optionsFromConfig } from "./config-fields.js";
import type { Constraint } from "./constraints.js";
import { EngineError } from "./errors.js";
import { type Initializer, type InitializerLike, getInitializer } from "./initializers.js";
import { type FromConfigContext, envelope } from "./keras-object.js";
import { toSnakeCase, uniqueName } from "./names.js";
import { type Regularizer, type RegularizerLike, getRegularizer } from "./regularizers.js";
import { type KerasTensor, type LayerNode, type Shape, isSymbolic } from "./symbolic.js";
import { Variable, type WeightValue } from "./variable.js";
import { callSymbolic } from "./symbolic-call.js";
import { checkLayerDtype } from "./dtypes.js";
import { chargeWeight, initializersDeferred, recordWeight } from "./weight-budget.js";

/** Options every layer takes. */
export interface LayerArgs {
  /** The layer's name; unique Keras-style names (`dense`, `dense_1`) when absent. */
  readonly name?: string | undefined;
  /** Whether its weights train (default true). */
  readonly trainable?: boolean | undefined;
  /** The variable and compute dtype (default `float32`). */
  readonly dtype?: string | undefined;
  /** Keras 2's `input_shape` on a Sequential's first layer: the shape without the batch axis. */
  readonly inputShape?: readonly (number | null)[] | undefined;
  /** Keras 2's `batch_input_shape` / Keras 3's `batch_shape` on a Sequential's first layer. */
  readonly batchInputShape?: Shape | undefined;
  /** A penalty on the layer's outputs, added to its losses. */
  readonly activityRegularizer?: RegularizerLike | Regularizer | null | undefined;
}

/** Options of a call. */
export interface CallOptions {
  /** Training mode: Dropout drops, BatchNormalization uses batch statistics. */
  readonly training?: boolean | undefined;
  /**
   * Set by a model's training pass on a layer whose output only a ReLU takes (../relu-fusion.ts):
   * the layer returns relu of its output. Layers that cannot fuse it ignore it (never set for them).
   */
  readonly reluAfter?: boolean | undefined;
}

/** Options of `addWeight`. */
export interface AddWeightOptions {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype?: tf.DataType | undefined;
  readonly initializer?: InitializerLike | Initializer | undefined;
  readonly regularizer?: Regularizer | null | undefined;
  readonly constraint?: Constraint | null | undefined;
  readonly trainable?: boolean | undefined;
}

/** A layer class as `fromConfig` needs it. */
export interface LayerClass {
  new (args: never): Layer;
  readonly className: string;
  readonly module: string;
  readonly fields: readonly ConfigField[];
  fromConfig(config: JsonObject, ctx?: FromConfigContext): Layer;
}

// The name scopes open while layers build: a variable's path is the scopes plus its name.
const scopes: string[] = [];

/**
 * The base of every layer: weights, building, calling (eagerly on tensors or symbolically on
 * `KerasTensor`s), config, and Keras's weight order.
 *
 * Subclasses declare `static fields` (their options and Keras config keys), override `build`
 * and `call`, and may override `computeOutputShape`.
 */
export class Layer {
  static readonly className: string = "Layer";
  static readonly module: string = "keras.layers";
  static readonly fields: readonly ConfigField[] = [];

  name: string;
  built = false;
  dtype: string;
  /** The calls of this layer on symbolic tensors, in order. */
  readonly inboundNodes: LayerNode[] = [];
  /** Losses added by `addLoss` and activity regularizers during the last call. */
  losses: tf.Scalar[] = [];
  /** Metrics added by `addMetric`, by name. */
  readonly metrics = new Map<string, tf.Scalar>();
  /** The input shape `build` got (Keras's `build_config`). */
  buildInputShape: Shape | Shape[] | undefined;
  /** The batch input shape given by `inputShape` / `batchInputShape`, if any. */
  readonly batchInputShape: Shape | undefined;
  readonly activityRegularizer: Regularizer | null;

  private _trainable: boolean;
  private readonly ownTrainable: Variable[] = [];
  private readonly ownNonTrainable: Variable[] = [];
  private readonly tracked: Layer[] = [];
  private readonly attributes = new Map<Layer, string>();

  constructor(args: LayerArgs = {}) {
    const cls = new.target as unknown as LayerClass;
    this.name = args.name ?? uniqueName(toSnakeCase(classNameOf(cls)));
    this._trainable = args.trainable ?? true;
    this.dtype = checkLayerDtype(
      args.dtype ?? "float32",
      this.name,
      (cls as { integerInputs?: boolean }).integerInputs === true,
    );
    this.activityRegularizer = getRegularizer(args.activityRegularizer as RegularizerLike | undefined);
    this.batchInputShape =
      args.batchInputShape !== undefined
        ? [...args.batchInputShape]
        : args.inputShape !== undefined
          ? [null, ...args.inputShape]
          : undefined;
    const options = args as Record<string, unknown>;
    for (const f of cls.fields) {
      (this as unknown as Record<string, unknown>)[f.prop] = decodeField(f, options[f.prop], {});
    }
  }

  /** The Keras class name. */
  get className(): string {
    return classNameOf(this.constructor as unknown as LayerClass);
  }

  /** Whether the layer's weights train. Setting it changes its variables' flags too, as Keras 3 does. */
  get trainable(): boolean {
    return this._trainable;
  }

  set trainable(value: boolean) {
    this._trainable = value;
    // Keras 3 flips the flag of the variables created trainable, never of the others.
    for (const v of this.ownTrainable) v.trainable = value;
    for (const layer of this.tracked) layer.trainable = value;
  }

  /** Creates the layer's weights for an input shape. */
  build(inputShape: Shape | Shape[]): void {
    this.buildInputShape = inputShape;
    this.built = true;
  }

  /** The computation. The default returns its input. */
  call(inputs: tf.Tensor | tf.Tensor[], _options: CallOptions): tf.Tensor | tf.Tensor[] {
    return inputs;
  }

  /**
   * The output shape for an input shape, or undefined to let the engine find it by running
   * `call` once on zeros.
   */
  computeOutputShape(_inputShape: Shape | Shape[]): Shape | Shape[] | undefined {
    return undefined;
  }

  /** Builds the layer (once) with its name scope open, as Keras's build wrapper does. */
  maybeBuild(inputShape: Shape | Shape[]): void {
    if (this.built) return;
    this.withScope(() => this.build(inputShape));
    this.buildInputShape ??= inputShape;
    this.built = true;
  }

  /** Runs `fn` with this layer's name scope open. */
  withScope<T>(fn: () => T): T {
    scopes.push(this.name);
    try {
      return fn();
    } finally {
      scopes.pop();
    }
  }

  /**
   * Calls the layer: on symbolic tensors it records a node and returns symbolic outputs; on
   * tensors it builds if needed and computes.
   */
  apply(inputs: KerasTensor | readonly KerasTensor[], options?: CallOptions): KerasTensor;
  apply(inputs: tf.Tensor | readonly tf.Tensor[], options?: CallOptions): tf.Tensor;
  apply(
    inputs: KerasTensor | readonly KerasTensor[] | tf.Tensor | readonly tf.Tensor[],
    options: CallOptions = {},
  ): KerasTensor | tf.Tensor {
    const out = this.applyMulti(inputs as tf.Tensor, options);
    return out[0] as KerasTensor | tf.Tensor;
  }

  /** Like `apply`, for layers with several outputs: always a list. */
  applyMulti(inputs: KerasTensor | readonly KerasTensor[], options?: CallOptions): KerasTensor[];
  applyMulti(inputs: tf.Tensor | readonly tf.Tensor[], options?: CallOptions): tf.Tensor[];
  applyMulti(
    inputs: KerasTensor | readonly KerasTensor[] | tf.Tensor | readonly tf.Tensor[],
    options: CallOptions = {},
  ): KerasTensor[] | tf.Tensor[] {
    if (isSymbolic(inputs)) return callSymbolic(this, inputs);
    const list = Array.isArray(inputs) ? (inputs as tf.Tensor[]) : [inputs as tf.Tensor];
    const shapes = list.map((t) => t.shape as Shape);
    this.maybeBuild(Array.isArray(inputs) ? shapes : shapes[0]!);
    this.losses = [];
    const result = this.withScope(() => this.call(Array.isArray(inputs) ? list : list[0]!, options));
    const outs = Array.isArray(result) ? result : [result];
    if (this.activityRegularizer !== null) {
      for (const o of outs) this.losses.push(tf.div(this.activityRegularizer.apply(o), o.shape[0] ?? 1) as tf.Scalar);
    }
    return outs;
  }

  /** Adds a weight (in build). Its path is the open name scopes plus `name`. */
  addWeight(options: AddWeightOptions): Variable {
    requireBackend(`weight "${options.name}" of layer "${this.name}"`);
    const init = getInitializer(options.initializer ?? "GlorotUniform", "GlorotUniform");
    const created = options.trainable ?? true;
    const prefix = scopes.length > 0 && scopes[scopes.length - 1] === this.name ? scopes.join("/") : this.name;
    const dtype = options.dtype ?? (this.dtype as tf.DataType);
    // Before anything is allocated: a config's sizes are checked against the budget and the file.
    chargeWeight(this.name, options.name, options.shape, dtype);
    // A load makes zeros: the file's values replace them (initializeUnloaded runs what it left).
    const deferred = initializersDeferred();
    const initial = deferred
      ? tf.zeros([...options.shape], dtype)
      : tf.tidy(() => init.apply([...options.shape], dtype));
    const v = new Variable(
      options.name,
      `${prefix}/${options.name}`,
      initial,
      created && this._trainable,
      options.regularizer ?? null,
      options.constraint ?? null,
    );
    initial.dispose();
    if (deferred) v.pendingInitializer = init;
    recordWeight(v);
    (created ? this.ownTrainable : this.ownNonTrainable).push(v);
    return v;
  }

  /**
   * Tracks a sublayer (what Keras does on attribute assignment) under an attribute name
   * (default: the layer's name), which names its edge in the saved tree; returns it.
   */
  trackLayer<T extends Layer>(layer: T, attribute?: string): T {
    if (!this.tracked.includes(layer)) {
      this.tracked.push(layer);
      this.attributes.set(layer, attribute ?? layer.name);
    }
    return layer;
  }

  /** The edge name of a tracked sublayer in the saved tree (its attribute name, or its name). */
  edgeName(layer: Layer): string {
    return this.attributes.get(layer) ?? layer.name;
  }

  /** The sublayers this layer tracks, in assignment order. */
  get trackedLayers(): readonly Layer[] {
    return this.tracked;
  }

  /** The layer's own variables (not its sublayers'): trainable-created first, then non-trainable. */
  get ownWeights(): Variable[] {
    return [...this.ownTrainable, ...this.ownNonTrainable];
  }

  /** All weights in Keras 3 order: own variables, then each sublayer's, deduplicated. */
  get weights(): Variable[] {
    const out: Variable[] = [];
    const seen = new Set<Variable>();
    const add = (v: Variable) => {
      if (!seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    };
    for (const v of this.ownWeights) add(v);
    for (const layer of this.tracked) for (const v of layer.weights) add(v);
    return out;
  }

  /** The trainable weights (none when the layer is frozen). */
  get trainableWeights(): Variable[] {
    return this._trainable ? this.weights.filter((v) => v.trainable) : [];
  }

  /** The weights training leaves alone. */
  get nonTrainableWeights(): Variable[] {
    return this._trainable ? this.weights.filter((v) => !v.trainable) : this.weights;
  }

  /**
   * Keras 2's order: trainable weights of the whole subtree, then the non-trainable ones. It
   * changes when a sublayer is frozen (the guide's NestedDenseLayer example); Keras 2 H5 files
   * store a layer's weights in this order.
   */
  get keras2Weights(): Variable[] {
    return [...this.trainableWeights, ...this.nonTrainableWeights];
  }

  /** The weights' values, in `weights` order. */
  getWeights(): HostTensor[] {
    return this.weights.map((v) => v.read());
  }

  /** Sets every weight, in `weights` order, checking count and shapes. */
  setWeights(values: readonly WeightValue[]): void {
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw new EngineError(
        "weight-mismatch",
        cannot(
          "set",
          `the weights of layer "${this.name}"`,
          `it has ${weights.length} weights, ${values.length} values given`,
        ),
      );
    }
    for (const [i, w] of weights.entries()) w.assign(values[i]!, w.path);
  }

  /**
   * Frees the backend memory of the layer's weights and its sublayers' (a layer shared with
   * another model is freed for both). The layer cannot be called afterwards. Idempotent.
   */
  dispose(): void {
    for (const v of this.ownWeights) v.dispose();
    for (const layer of this.tracked) layer.dispose();
    for (const t of this.losses) if (!t.isDisposed) t.dispose();
    this.losses = [];
  }

  /** `using layer = ...` frees it at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Number of scalars in all weights. */
  countParams(): number {
    return this.weights.reduce((n, v) => n + v.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Adds a loss tensor (a scalar), as `self.add_loss` does. */
  addLoss(loss: tf.Scalar | number): void {
    this.losses.push(typeof loss === "number" ? tf.scalar(loss) : loss);
  }

  /** Records a metric value under a name, as Keras 2's `add_metric` did. */
  addMetric(value: tf.Scalar | number, name: string): void {
    this.metrics.set(name, typeof value === "number" ? tf.scalar(value) : value);
  }

  /** The weight penalties of this layer and its sublayers (regularizers), plus added losses. */
  regularizationLosses(): tf.Scalar[] {
    const out: tf.Scalar[] = [];
    for (const v of this.weights) if (v.regularizer !== null) out.push(v.regularizer.apply(v.value));
    return out;
  }

  /** The Keras config: name, trainable, dtype policy, then each declared field. */
  getConfig(): JsonObject {
    const config: JsonObject = {
      name: this.name,
      trainable: this._trainable,
      dtype: envelope("keras", "DTypePolicy", { name: this.dtype }),
    };
    const cls = this.constructor as unknown as LayerClass;
    for (const f of cls.fields) config[f.key] = encodeField(f, (this as unknown as Record<string, unknown>)[f.prop]);
    if (this.activityRegularizer !== null)
      config.activity_regularizer = encodeField(activityField, this.activityRegularizer);
    // A batch shape given to a first layer lives on the model's InputLayer: Keras 3 layers
    // write none (their constructors reject `batch_shape`).
    return config;
  }

  /**
   * Keras 3's `build_config`; undefined for classes without their own `build` (Keras marks
   * those built at construction and records nothing).
   */
  getBuildConfig(): JsonObject | undefined {
    if (this.build === Layer.prototype.build) return undefined;
    return { input_shape: (this.buildInputShape ?? null) as JsonValue };
  }

  /** Makes a layer of this class from its Keras config (either dialect). */
  static fromConfig<T extends Layer>(this: new (args: never) => T, config: JsonObject, ctx: FromConfigContext = {}): T {
    const cls = this as unknown as LayerClass;
    return new this(layerArgsFromConfig(cls, config, ctx) as never);
  }
}

/**
 * Runs the initializers a load deferred for the weights the file did not give a value to
 * (a load builds every weight as zeros; assigning the file's value cancels its initializer).
 * Returns how many ran.
 */
export function initializeUnloaded(layer: Layer): number {
  let ran = 0;
  for (const v of layer.weights) {
    if (v.pendingInitializer !== null) {
      v.initializePending();
      ran++;
    }
  }
  return ran;
}

/** A class's Keras name: its own static `className`, or the JavaScript class name for custom classes. */
export function classNameOf(cls: LayerClass): string {
  return Object.hasOwn(cls, "className") ? cls.className : (cls as unknown as { name: string }).name;
}

const activityField = field("activity_regularizer", "activityRegularizer", null, "regularizer");

/** The constructor options a Keras config gives: the base keys plus the class's declared fields. */
export function layerArgsFromConfig(
  cls: Pick<LayerClass, "fields">,
  config: JsonObject,
  ctx: FromConfigContext,
): Record<string, unknown> {
  const args: Record<string, unknown> = optionsFromConfig(cls.fields, config, ctx);
  if (typeof config.name === "string") args.name = config.name;
  if (typeof config.trainable === "boolean") args.trainable = config.trainable;
  const dtype = config.dtype;
  if (typeof dtype === "string") args.dtype = dtype;
  else if (isJsonObject(dtype) && isJsonObject(dtype.config) && typeof dtype.config.name === "string")
    args.dtype = dtype.config.name;
  const shape = config.batch_shape ?? config.batch_input_shape;
  if (Array.isArray(shape)) args.batchInputShape = shape as Shape;
  else if (Array.isArray(config.input_shape)) args.inputShape = config.input_shape;
  if (config.activity_regularizer !== undefined && config.activity_regularizer !== null) {
    args.activityRegularizer = decodeField(activityField, config.activity_regularizer, ctx);
  }
  return args;
}
