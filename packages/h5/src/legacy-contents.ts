import type { HostTensor, JsonObject, JsonValue } from "@kerastore/core";

/** One layer group of a legacy H5 weights group, in file order. */
export interface LegacyLayerWeights {
  /** The layer's name (its entry in `layer_names`, and its group's name). */
  readonly name: string;
  /** The group's `weight_names`, exactly as stored (`dense/kernel:0`, `sequential/dense/kernel`). */
  readonly weightNames: readonly string[];
  /** The weights, in `weight_names` order. */
  readonly weights: readonly HostTensor[];
}

/** A legacy H5 weights group: the file root (weights-only files) or `/model_weights`. */
export interface LegacyWeightGroup {
  /** Every layer in `layer_names` order, weightless layers included. */
  readonly layers: readonly LegacyLayerWeights[];
  /** `top_level_model_weights` (model-owned variables), when the group has one. */
  readonly topLevel: LegacyLayerWeights | undefined;
  /** The group's `backend` and `keras_version` attributes, when present. */
  readonly backend: string | undefined;
  readonly kerasVersion: string | undefined;
}

/** One optimizer weight of `/optimizer_weights`, in `weight_names` order. */
export interface LegacyOptimizerWeight {
  readonly name: string;
  readonly value: HostTensor;
}

/** Everything a legacy (Keras 2 layout) H5 file holds, as stored. */
export interface LegacyH5Contents {
  readonly kind: "legacy-model" | "legacy-weights";
  /**
   * `keras2` when weight names carry TensorFlow's `:0` suffix, `keras3` when they do not (Keras 3's
   * legacy writer, and Keras 2.x with the Theano backend).
   */
  readonly dialect: "keras2" | "keras3";
  /** Root `keras_version` (full models) or the weights group's. */
  readonly kerasVersion: string | undefined;
  readonly backend: string | undefined;
  /** The parsed root `model_config` (full models). */
  readonly modelConfig: JsonValue | undefined;
  /** The parsed root `training_config`, when the model was compiled. */
  readonly trainingConfig: JsonObject | undefined;
  readonly weights: LegacyWeightGroup;
  /** `/optimizer_weights` in order; empty when the file has none. */
  readonly optimizerWeights: readonly LegacyOptimizerWeight[];
}
