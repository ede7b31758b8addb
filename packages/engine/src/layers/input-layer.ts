import type { JsonObject } from "@kerastore/core";
import { cannot } from "@kerastore/core";
import { EngineError } from "../errors.js";
import type { FromConfigContext } from "../keras-object.js";
import { Layer } from "../layer.js";
import { KerasTensor, type Shape } from "../symbolic.js";

/** Options of an InputLayer. */
export interface InputLayerArgs {
  /** The shape including the batch axis (`[null, 32]`). */
  readonly batchShape: Shape;
  readonly dtype?: string | undefined;
  readonly name?: string | undefined;
  readonly sparse?: boolean | undefined;
  readonly ragged?: boolean | undefined;
  readonly optional?: boolean | undefined;
}

/** The entry point of a functional model: owns the symbolic input tensor. */
export class InputLayer extends Layer {
  static override readonly className: string = "InputLayer";
  /** Integer inputs of any width Keras declares (`int64`) are fed as int32. */
  static readonly integerInputs = true;
  readonly sparse: boolean;
  readonly ragged: boolean;
  readonly optional: boolean;
  /** The symbolic tensor this layer feeds. */
  readonly output: KerasTensor;

  constructor(args: InputLayerArgs) {
    super({ name: args.name, dtype: args.dtype });
    if (
      !Array.isArray(args.batchShape) ||
      args.batchShape.some((d) => d !== null && (!Number.isSafeInteger(d) || d < 0))
    ) {
      throw new EngineError(
        "invalid-shape",
        cannot("make", `input "${this.name}"`, `bad shape ${JSON.stringify(args.batchShape)}`),
      );
    }
    this.sparse = args.sparse ?? false;
    this.ragged = args.ragged ?? false;
    this.optional = args.optional ?? false;
    this.built = true;
    this.output = new KerasTensor([...args.batchShape], this.dtype, { layer: this, nodeIndex: 0, tensorIndex: 0 });
    this.inboundNodes.push({ layer: this, inputs: [], inputIsList: false, outputs: [this.output], kwargs: {} });
  }

  get batchShape(): Shape {
    return [...this.output.shape];
  }

  override getConfig(): JsonObject {
    return {
      batch_shape: this.batchShape,
      dtype: this.dtype,
      sparse: this.sparse,
      ragged: this.ragged,
      name: this.name,
      optional: this.optional,
    };
  }

  override getBuildConfig(): JsonObject | undefined {
    return undefined;
  }

  static override fromConfig<T extends Layer>(
    this: new (
      args: never,
    ) => T,
    config: JsonObject,
    _ctx: FromConfigContext = {},
  ): T {
    const shape = config.batch_shape ?? config.batch_input_shape;
    if (!Array.isArray(shape)) {
      throw new EngineError(
        "invalid-config",
        cannot("read", "an InputLayer config", 'it has no "batch_shape" (or "batch_input_shape")'),
      );
    }
    const dtype = typeof config.dtype === "string" ? config.dtype : "float32";
    return new this({
      batchShape: shape as Shape,
      dtype,
      name: typeof config.name === "string" ? config.name : undefined,
      sparse: config.sparse === true,
      ragged: config.ragged === true,
      optional: config.optional === true,
    } as never);
  }
}

/** Options of {@link Input}. */
export interface InputArgs {
  /** The shape without the batch axis. */
  readonly shape?: readonly (number | null)[] | undefined;
  readonly batchSize?: number | undefined;
  /** The full shape, batch axis included (instead of `shape`). */
  readonly batchShape?: Shape | undefined;
  readonly dtype?: string | undefined;
  readonly name?: string | undefined;
}

/** Makes a symbolic input tensor, as `keras.Input` does. */
export function Input(args: InputArgs): KerasTensor {
  const batchShape = args.batchShape ?? [args.batchSize ?? null, ...(args.shape ?? [])];
  return new InputLayer({ batchShape, dtype: args.dtype, name: args.name }).output;
}
