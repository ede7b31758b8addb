import * as tf from "@tensorflow/tfjs-core";
import {
  type HostTensor,
  type JsonObject,
  type JsonValue,
  KerastoreError,
  cannot,
  formatShape,
  hostTensor,
} from "@kerastore/core";
import { convBatchNormFolds, runChain } from "./conv-bn-fold.js";
import { trainingReluFusions } from "./relu-fusion.js";
import { withScopes } from "./deserialize.js";
import { checkInputs, shapesOf } from "./input-check.js";
import { EngineError } from "./errors.js";
import { functionalFromConfig } from "./functional-config.js";
import { type Graph, mapGraph } from "./graph.js";
import { type FromConfigContext, envelope, registeredNameOf } from "./keras-object.js";
import { type CallOptions, Layer, type LayerArgs, type LayerClass, classNameOf } from "./layer.js";
import { InputLayer } from "./layers/input-layer.js";
import { type ModelData, disposeOutputs, toHost, toTensor, trainTargetOf, withTensors } from "./model-training.js";
import { type SummaryOptions, summary } from "./summary.js";
import { KerasTensor, type LayerNode, type Shape } from "./symbolic.js";
import type { History, Logs } from "./training/callbacks/callback.js";
import { type CompileOptions, type Compiled, compile } from "./training/compile.js";
import {
  type EvaluateOptions,
  type FitOptions,
  evaluate,
  fit,
  prepareTraining,
  testOnBatch,
  trainOnBatch,
} from "./training/fit.js";
import type { Optimizer } from "./training/optimizers/optimizer.js";
import type { TrainTarget } from "./training/trainable.js";
import { spreadNode, spreadsInputs } from "./spread-inputs.js";
import { KerasOperation } from "./layers/operations.js";

/** Options of a functional model (`new Model({ inputs, outputs })`); none for a subclassed model. */
export interface ModelArgs extends LayerArgs {
  readonly inputs?: KerasTensor | readonly KerasTensor[] | undefined;
  readonly outputs?: KerasTensor | readonly KerasTensor[] | undefined;
}

/** What `predict` takes: one input or a list, as HostTensors or tensors. */
export type PredictInput = HostTensor | tf.Tensor | readonly (HostTensor | tf.Tensor)[];

/** Options of `predict`. */
export interface PredictOptions {
  /** Samples per batch (default 32). */
  readonly batchSize?: number | undefined;
}

/**
 * A model: a functional graph of layers (`new Model({ inputs, outputs })`), or, subclassed,
 * a layer with its own `call` and `layers` tracked with `trackLayer`.
 */
export class Model extends Layer {
  static override readonly className: string = "Functional";
  static override readonly module: string = "keras.src.models.functional";
  static readonly callKwargs: JsonObject = { mask: null };

  /** The symbolic inputs and outputs (empty for a subclassed model). */
  inputs: KerasTensor[] = [];
  outputs: KerasTensor[] = [];
  protected inputIsList = false;
  protected outputIsList = false;
  private graph: Graph | undefined;
  private compiled: Compiled | undefined;
  private storedCompileConfig: JsonObject = {};

  constructor(args: ModelArgs = {}) {
    super(args);
    if (args.inputs !== undefined && args.outputs !== undefined) this.initGraph(args.inputs, args.outputs);
  }

  /** Sets the functional graph (and tracks its layers, which orders the weights). */
  protected initGraph(
    inputs: KerasTensor | readonly KerasTensor[],
    outputs: KerasTensor | readonly KerasTensor[],
  ): void {
    this.inputIsList = Array.isArray(inputs);
    this.outputIsList = Array.isArray(outputs);
    this.inputs = Array.isArray(inputs) ? [...(inputs as KerasTensor[])] : [inputs as KerasTensor];
    this.outputs = Array.isArray(outputs) ? [...(outputs as KerasTensor[])] : [outputs as KerasTensor];
    for (const t of [...this.inputs, ...this.outputs]) {
      if (!(t instanceof KerasTensor)) {
        throw new EngineError(
          "invalid-argument",
          cannot(
            "make",
            `model "${this.name}"`,
            "inputs and outputs must be symbolic tensors (from Input and layer calls)",
          ),
        );
      }
    }
    this.graph = mapGraph(this.inputs, this.outputs);
    for (const layer of this.graph.layers) this.trackLayer(layer);
    this.built = true;
    this.buildInputShape = this.inputIsList ? this.inputs.map((t) => [...t.shape]) : [...this.inputs[0]!.shape];
  }

  /** True for a Sequential model. */
  get isSequential(): boolean {
    return false;
  }

  /**
   * Prints Keras's summary table (through `print`, console.log by default) and returns it.
   */
  summary(options: SummaryOptions & { readonly print?: (text: string) => void } = {}): string {
    const text = summary(this, options);
    (options.print ?? ((t: string) => console.log(t.trimEnd())))(text);
    return text;
  }

  /** True for a functional model (with a graph). */
  get isFunctional(): boolean {
    return this.graph !== undefined;
  }

  /** The model's layers: the graph's (InputLayers included) or the tracked ones. */
  get layers(): Layer[] {
    return this.graph !== undefined ? [...this.graph.layers] : [...this.trackedLayers];
  }

  /** The graph's nodes that belong to this model. */
  get networkNodes(): ReadonlySet<LayerNode> {
    return this.graph?.nodeSet ?? new Set();
  }

  /** A layer by name or by index in `layers`. */
  getLayer(nameOrIndex: string | number): Layer {
    const layers = this.layers;
    const found = typeof nameOrIndex === "number" ? layers[nameOrIndex] : layers.find((l) => l.name === nameOrIndex);
    if (found === undefined) {
      throw new EngineError(
        "not-found",
        cannot(
          "find",
          `layer ${JSON.stringify(nameOrIndex)}`,
          `model "${this.name}" has ${layers.map((l) => l.name).join(", ") || "no layers"}`,
        ),
      );
    }
    return found;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], options: CallOptions): tf.Tensor | tf.Tensor[] {
    if (this.graph === undefined) {
      throw new EngineError(
        "unsupported",
        cannot("call", `model "${this.name}"`, "it has no inputs/outputs and its class does not override call"),
      );
    }
    const given = Array.isArray(inputs) ? inputs : [inputs];
    if (given.length !== this.inputs.length) {
      throw new EngineError(
        "invalid-argument",
        cannot("call", `model "${this.name}"`, `it takes ${this.inputs.length} inputs, got ${given.length}`),
      );
    }
    const values = new Map<KerasTensor, tf.Tensor>();
    for (const [i, t] of this.inputs.entries()) values.set(t, given[i]!);
    // Not training: Conv -> BatchNormalization (-> ReLU) chains run as one convolution.
    const folds = options.training === true ? undefined : convBatchNormFolds(this.graph, this.outputs);
    // Training: BatchNormalization -> ReLU and Add -> ReLU run as the first layer (relu-fusion.ts).
    const fusions = options.training === true ? trainingReluFusions(this.graph, this.outputs) : undefined;
    for (const node of this.graph.nodes) {
      if (node.inputs.length === 0 || node.layer instanceof InputLayer || folds?.replaced.has(node)) continue;
      if (fusions?.replaced.has(node)) continue;
      const chain = folds?.heads.get(node);
      const reluNode = fusions?.heads.get(node);
      const args = node.inputs.map((t) => {
        const v = values.get(t);
        if (v === undefined)
          throw new EngineError(
            "invalid-argument",
            cannot("call", `model "${this.name}"`, `layer "${node.layer.name}" needs an input that nothing computes`),
          );
        return v;
      });
      let outs: tf.Tensor[];
      try {
        outs =
          chain !== undefined
            ? [runChain(chain, args[0]!)]
            : node.layer.applyMulti(
                node.inputIsList ? args : args[0]!,
                reluNode !== undefined ? { ...options, reluAfter: true } : options,
              );
      } catch (error) {
        // A backend failure (shapes a config declared but the weights or inputs do not have)
        // becomes a typed error naming the layer and what it was given.
        if (error instanceof KerastoreError) throw error;
        const shapes = args.map((a) => formatShape(a.shape)).join(", ");
        throw new EngineError(
          "backend",
          cannot(
            "call",
            `layer "${node.layer.name}" (${node.layer.className}) of model "${this.name}"`,
            `on inputs of shape ${shapes}: ${(error as Error)?.message ?? String(error)}`,
          ),
          { cause: error },
        );
      }
      const produced = chain !== undefined ? [chain.output] : (reluNode?.outputs ?? node.outputs);
      for (const [i, t] of produced.entries()) values.set(t, outs[i]!);
    }
    const outs = this.outputs.map((t) => values.get(t)!);
    return this.outputIsList ? outs : outs[0]!;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape | Shape[] | undefined {
    if (this.graph === undefined) return undefined;
    const batch = (Array.isArray(inputShape[0]) ? (inputShape as Shape[])[0]![0] : (inputShape as Shape)[0]) ?? null;
    const shapes = this.outputs.map((t) => [batch, ...t.shape.slice(1)]);
    return this.outputIsList ? shapes : shapes[0]!;
  }

  /**
   * Keras 3's `compile_config`, saved with the model: derived from the compiled state once
   * compiled; before that, whatever was set (a loaded config that could not be compiled), `{}`.
   */
  get compileConfig(): JsonObject {
    return this.compiled?.compileConfig() ?? this.storedCompileConfig;
  }

  set compileConfig(config: JsonObject) {
    this.storedCompileConfig = config;
  }

  /** The optimizer once compiled (Keras's `model.optimizer`). */
  get optimizer(): Optimizer | undefined {
    return this.compiled?.optimizer;
  }

  /** The compiled state (loss, metrics, optimizer) once compiled. */
  get compiledState(): Compiled | undefined {
    return this.compiled;
  }

  /** The output names losses and metrics use (`out_loss`): the output layers' names. */
  get outputNames(): string[] {
    return this.outputs.map((t) => t.history.layer.name);
  }

  /** Configures training (Keras's `model.compile`): optimizer, loss(es), metrics, loss weights. */
  compile(options: CompileOptions = {}): void {
    const names = this.outputNames;
    this.compiled?.optimizer.dispose();
    this.compiled = compile({ outputNames: names.length > 0 ? names : undefined }, options, Math.max(1, names.length));
  }

  /**
   * Frees the backend memory of every weight of the model, of its layers and of its
   * optimizer's state. Layers shared with another model are freed for both. Idempotent.
   */
  override dispose(): void {
    super.dispose();
    for (const layer of this.layers) layer.dispose();
    this.compiled?.optimizer.dispose();
  }

  /** Trains the model (Keras's `model.fit`); returns the History. */
  async fit(x: ModelData, y: ModelData, options: FitOptions = {}): Promise<History> {
    const compiled = this.requireCompiled("fit");
    checkInputs(this, shapesOf(x, "fit"), "fit");
    return withTensors([x, y], (xs, ys) => fit(this.trainTarget(), compiled, xs!, ys!, { model: this, ...options }));
  }

  /** The loss and metrics over a data set (Keras's `model.evaluate(..., return_dict=True)`). */
  async evaluate(x: ModelData, y: ModelData, options: EvaluateOptions = {}): Promise<Logs> {
    const compiled = this.requireCompiled("evaluate");
    checkInputs(this, shapesOf(x, "evaluate"), "evaluate");
    return withTensors([x, y], (xs, ys) => evaluate(this.trainTarget(), compiled, xs!, ys!, options));
  }

  /** One training step on one batch (Keras's `train_on_batch`); returns the logs. */
  async trainOnBatch(x: ModelData, y: ModelData, sampleWeight?: tf.Tensor): Promise<Logs> {
    const compiled = this.requireCompiled("train");
    checkInputs(this, shapesOf(x, "train"), "train");
    await prepareTraining();
    return withTensors([x, y], (xs, ys) => trainOnBatch(this.trainTarget(), compiled, xs!, ys!, sampleWeight));
  }

  /** The loss and metrics of one batch (Keras's `test_on_batch`). */
  async testOnBatch(x: ModelData, y: ModelData, sampleWeight?: tf.Tensor): Promise<Logs> {
    const compiled = this.requireCompiled("test");
    checkInputs(this, shapesOf(x, "test"), "test");
    return withTensors([x, y], (xs, ys) => testOnBatch(this.trainTarget(), compiled, xs!, ys!, sampleWeight));
  }

  /** The outputs for one batch, on the host (Keras's `predict_on_batch`). */
  predictOnBatch(x: PredictInput): HostTensor | HostTensor[] {
    checkInputs(this, shapesOf(x, "predict with"), "predict with");
    const list = Array.isArray(x) ? (x as (HostTensor | tf.Tensor)[]) : [x as HostTensor | tf.Tensor];
    const tensors = list.map((v) => (v instanceof tf.Tensor ? v : toTensor(v)));
    try {
      const outs = this.trainTarget().forward(tensors, false);
      const host = outs.map(toHost);
      disposeOutputs(outs);
      return this.outputIsList || host.length !== 1 ? host : host[0]!;
    } finally {
      for (let i = 0; i < tensors.length; i++) if (!(list[i] instanceof tf.Tensor)) tensors[i]!.dispose();
    }
  }

  /** The model as the training loop sees it. */
  trainTarget(): TrainTarget {
    const names = this.outputNames;
    return trainTargetOf(this, names.length > 0 ? names : undefined);
  }

  private requireCompiled(verb: string): Compiled {
    if (this.compiled === undefined) {
      throw new EngineError(
        "not-built",
        cannot(verb, `model "${this.name}"`, "it is not compiled", "call model.compile({ optimizer, loss }) first"),
      );
    }
    return this.compiled;
  }

  /** The model's whole config envelope, as `keras.saving.serialize_keras_object(model)` gives it. */
  toConfig(): JsonObject {
    return serializeLayer(this);
  }

  /** The model's JSON (`model.to_json()`). */
  toJson(): string {
    return JSON.stringify(this.toConfig());
  }

  /** Runs the model in inference mode over batches and returns the outputs on the host. */
  predict(x: PredictInput, options: PredictOptions = {}): HostTensor | HostTensor[] {
    checkInputs(this, shapesOf(x, "predict with"), "predict with");
    const batchSize = options.batchSize ?? 32;
    const list = Array.isArray(x) ? (x as (HostTensor | tf.Tensor)[]) : [x as HostTensor | tf.Tensor];
    const tensors = list.map((v) => (v instanceof tf.Tensor ? v : toTensor(v)));
    const n = tensors[0]?.shape[0] ?? 0;
    const chunks: tf.Tensor[][] = [];
    // A batch that fails (a layer refusing its input) leaves nothing allocated: the inputs made
    // here and the batches already done are freed on the way out, whatever happens.
    try {
      return this.predictChunks(x, tensors, chunks, n, batchSize);
    } finally {
      for (const c of chunks) for (const t of c) t.dispose();
      for (let i = 0; i < tensors.length; i++) if (!(list[i] instanceof tf.Tensor)) tensors[i]!.dispose();
    }
  }

  private predictChunks(
    x: PredictInput,
    tensors: tf.Tensor[],
    chunks: tf.Tensor[][],
    n: number,
    batchSize: number,
  ): HostTensor | HostTensor[] {
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      chunks.push(
        tf.tidy(() => {
          // A single batch is the input itself: no copy.
          const batch = size === n ? tensors : tensors.map((t) => tf.slice(t, start, size));
          const out = this.apply(Array.isArray(x) ? batch : batch[0]!, { training: false });
          return Array.isArray(out) ? out : [out];
        }),
      );
    }
    const outputs = (chunks[0] ?? []).map((_, i) => {
      const parts = chunks.map((c) => c[i]!);
      const joined = parts.length === 1 ? parts[0]! : tf.concat(parts, 0);
      const host = hostTensor("float32", joined.shape, Float32Array.from(joined.dataSync()));
      if (parts.length > 1) joined.dispose();
      return host;
    });
    return this.outputIsList || outputs.length !== 1 ? outputs : outputs[0]!;
  }

  /** {@link predict} for a model with one output: its output, typed as one tensor. */
  predictOne(x: PredictInput, options: PredictOptions = {}): HostTensor {
    const out = this.predict(x, options);
    if (!Array.isArray(out)) return out as HostTensor;
    if (out.length === 1) return out[0]!;
    throw new EngineError(
      "invalid-argument",
      cannot("predictOne with", `model "${this.name}"`, `it has ${out.length} outputs`, "call predictMany"),
    );
  }

  /** {@link predict} with the outputs always as a list, one tensor per output. */
  predictMany(x: PredictInput, options: PredictOptions = {}): HostTensor[] {
    const out = this.predict(x, options);
    return Array.isArray(out) ? out : [out as HostTensor];
  }

  override apply(inputs: KerasTensor | readonly KerasTensor[], options?: CallOptions): KerasTensor;
  override apply(inputs: tf.Tensor | readonly tf.Tensor[], options?: CallOptions): tf.Tensor;
  override apply(
    inputs: KerasTensor | readonly KerasTensor[] | tf.Tensor | readonly tf.Tensor[],
    options: CallOptions = {},
  ): KerasTensor | tf.Tensor | tf.Tensor[] {
    const out = this.applyMulti(inputs as tf.Tensor, options);
    return (this.outputIsList ? out : out[0]) as unknown as KerasTensor;
  }

  /** The Keras config of a functional model (`layers` with inbound nodes, input and output layers). */
  override getConfig(): JsonObject {
    if (this.graph === undefined) {
      return { name: this.name, trainable: this.trainable };
    }
    const nodeIndex = (node: LayerNode): number =>
      node.layer.inboundNodes.filter((n) => this.graph!.nodeSet.has(n) || n.inputs.length === 0).indexOf(node);
    const ref = (t: KerasTensor): JsonValue[] => {
      const node = t.history.layer.inboundNodes[t.history.nodeIndex]!;
      return [t.history.layer.name, Math.max(0, nodeIndex(node)), t.history.tensorIndex];
    };
    const tensorJson = (t: KerasTensor): JsonObject => ({
      class_name: "__keras_tensor__",
      config: { shape: t.shape, dtype: t.dtype, keras_history: ref(t) },
    });
    const layers = this.graph.layers.map((layer) => {
      const entry = serializeLayer(layer);
      entry.name = layer.name;
      entry.inbound_nodes = layer.inboundNodes
        .filter((n) => this.graph!.nodeSet.has(n) && n.inputs.length > 0)
        .map((n) =>
          layer instanceof KerasOperation
            ? { args: layer.nodeArgs(n.inputs.map(tensorJson)), kwargs: n.kwargs }
            : spreadsInputs(layer)
              ? spreadNode(n.inputs.map(tensorJson), n.kwargs)
              : { args: [n.inputIsList ? n.inputs.map(tensorJson) : tensorJson(n.inputs[0]!)], kwargs: n.kwargs },
        );
      return entry;
    });
    return {
      name: this.name,
      trainable: this.trainable,
      layers,
      input_layers: this.inputIsList ? this.inputs.map(ref) : ref(this.inputs[0]!),
      output_layers: this.outputIsList ? this.outputs.map(ref) : ref(this.outputs[0]!),
    };
  }

  override getBuildConfig(): JsonObject | undefined {
    return { input_shape: null };
  }

  /** Makes a functional model from its Keras config (either dialect). */
  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject,
    ctx: FromConfigContext = {},
  ): T {
    return functionalFromConfig(
      this as unknown as new (
        args: ModelArgs,
      ) => Model,
      config,
      withScopes(ctx),
    ) as unknown as T;
  }
}

/** A layer's envelope as Keras 3 writes it in a model config. */
export function serializeLayer(layer: Layer): JsonObject {
  if (layer instanceof KerasOperation) return layer.serialize();
  const cls = layer.constructor as unknown as LayerClass;
  const name = classNameOf(cls);
  const own = Object.hasOwn(cls, "className");
  // Classes of keras.applications modules (LayerScale) are written with their name registered, as Keras does.
  const ownRegistered = Object.hasOwn(cls, "registeredName")
    ? (cls as { registeredName?: string }).registeredName
    : null;
  const registered = name === "Functional" ? "Functional" : own ? (ownRegistered ?? null) : registeredNameOf(cls, name);
  const entry = envelope(own ? cls.module : null, name, layer.getConfig(), registered);
  const build = layer.getBuildConfig();
  if (build !== undefined) entry.build_config = build;
  if (layer instanceof Model) entry.compile_config = layer.compileConfig;
  return entry;
}
