import * as tf from "@tensorflow/tfjs-core";
import { type JsonObject, cannot } from "@kerastore/core";
import { field } from "../config-fields.js";
import type { Constraint, ConstraintLike } from "../constraints.js";
import { EngineError } from "../errors.js";
import { embeddingLookup } from "../ops/embedding-lookup.js";
import type { Initializer, InitializerLike } from "../initializers.js";
import { Layer, type LayerArgs } from "../layer.js";
import type { Regularizer, RegularizerLike } from "../regularizers.js";
import type { Shape } from "../symbolic.js";
import type { Variable } from "../variable.js";
import { one, oneShape, withActivityRegularizer } from "./layer-utils.js";

/** Options of Embedding. */
export interface EmbeddingArgs extends LayerArgs {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer?: InitializerLike | undefined;
  readonly embeddingsRegularizer?: RegularizerLike | null | undefined;
  readonly embeddingsConstraint?: ConstraintLike | null | undefined;
  /** Accepted and kept in the config; masks are not propagated to later layers. */
  readonly maskZero?: boolean | undefined;
}

/**
 * Looks up integer ids in an `[inputDim, outputDim]` table. Float ids are truncated to
 * integers; an id outside `[0, inputDim)` is an error, as in Keras on CPU.
 */
export class Embedding extends Layer {
  static override readonly className: string = "Embedding";
  static override readonly fields = [
    field("input_dim", "inputDim", null),
    field("output_dim", "outputDim", null),
    field("embeddings_initializer", "embeddingsInitializer", "RandomUniform", "initializer"),
    field("embeddings_regularizer", "embeddingsRegularizer", null, "regularizer"),
    field("embeddings_constraint", "embeddingsConstraint", null, "constraint"),
    field("mask_zero", "maskZero", false),
    field("quantization_config", "quantizationConfig", null),
  ];
  declare readonly inputDim: number;
  declare readonly outputDim: number;
  declare readonly embeddingsInitializer: Initializer;
  declare readonly embeddingsRegularizer: Regularizer | null;
  declare readonly embeddingsConstraint: Constraint | null;
  declare readonly maskZero: boolean;
  embeddings: Variable | undefined;

  constructor(args: EmbeddingArgs) {
    super(args);
    for (const [key, v] of [
      ["input_dim", this.inputDim],
      ["output_dim", this.outputDim],
    ] as const) {
      if (!Number.isSafeInteger(v) || v <= 0) {
        throw new EngineError(
          "invalid-argument",
          cannot("make", `Embedding layer "${this.name}"`, `${key} must be a positive integer, got ${String(v)}`),
        );
      }
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    this.embeddings = this.addWeight({
      name: "embeddings",
      shape: [this.inputDim, this.outputDim],
      initializer: this.embeddingsInitializer,
      regularizer: this.embeddingsRegularizer,
      constraint: this.embeddingsConstraint,
    });
    super.build(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = one(inputs);
      const ids = x.dtype === "int32" ? x : tf.cast(x, "int32");
      const flat = tf.reshape(ids, [-1]);
      if (flat.size > 0) {
        const [lo, hi] = [tf.min(flat).dataSync()[0]!, tf.max(flat).dataSync()[0]!];
        if (lo < 0 || hi >= this.inputDim) {
          throw new EngineError(
            "invalid-argument",
            cannot(
              "call",
              `Embedding layer "${this.name}"`,
              `ids must be in [0, ${this.inputDim}), got ${lo < 0 ? lo : hi}`,
            ),
          );
        }
      }
      // The lookup keeps per-occurrence gradients for the optimizers, as TensorFlow's IndexedSlices.
      return embeddingLookup(this.embeddings!.value, ids);
    });
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...oneShape(inputShape), this.outputDim];
  }

  override getConfig(): JsonObject {
    return withActivityRegularizer(this, super.getConfig());
  }
}
