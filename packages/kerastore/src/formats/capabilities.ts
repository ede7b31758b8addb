import type { RestoreStatus } from "@kerastore/checkpoint";
import type { HostTensor } from "@kerastore/core";
import type { Model } from "@kerastore/engine";
import type { CheckpointOptimizer } from "../checkpoint/live-binding.js";
import type { FormatLocation, ModelFormat, ReadOptions } from "./format.js";
import type { InspectReport } from "./inspect-report.js";

/**
 * More a format can do than read and write, each found by its method, never by the format's
 * name: a reader that pairs weights with a live model itself, one that inspects its files in
 * its own way, one whose files run without a Keras model.
 */

/** Options of {@link WeightsIntoModel.readWeightsInto}. */
export interface ReadWeightsIntoOptions {
  /** Pair by layer name (refused by formats that pair otherwise). */
  readonly byName: boolean;
  /** The optimizer whose state to restore too (default the model's own, if any). */
  readonly optimizer?: CheckpointOptimizer | undefined;
  /** The edge from the file's root to the model (`"model"` for `tf.train.Checkpoint(model=m)`). */
  readonly under?: string | undefined;
}

/** What {@link WeightsIntoModel.readWeightsInto} did. */
export interface ReadWeightsIntoResult {
  /** How many live variables were set. */
  readonly loaded: number;
  /** The status of the match (`assertConsumed()` and friends, as in TensorFlow), when the format keeps one. */
  readonly status?: RestoreStatus | undefined;
}

/**
 * A reader that sets a live model's weights itself, reading only what the match needs (TF
 * checkpoints: by object graph, with a restore status). `loadWeights` uses it in place of
 * `read` and the weight matcher.
 */
export interface WeightsIntoModel {
  readWeightsInto(
    model: Model,
    location: FormatLocation,
    options: ReadWeightsIntoOptions,
  ): Promise<ReadWeightsIntoResult>;
}

/** A reader with its own `inspect` report (a checkpoint's tensors, a SavedModel's signatures). */
export interface FormatInspector {
  inspect(location: FormatLocation, options: ReadOptions): Promise<InspectReport>;
}

/** One input of {@link FormatRunner.run}: by position, or by name (`--input name=x.npy`). */
export interface RunInput {
  readonly name: string | undefined;
  readonly value: HostTensor;
}

/** Options of {@link FormatRunner.run}. */
export interface RunOptions {
  /** A signature to run, for formats that have several (SavedModel). */
  readonly signature?: string | undefined;
}

/**
 * A reader whose files can run without building a Keras model (a TFLite flatbuffer, a
 * SavedModel graph): `kerastore predict` runs them.
 */
export interface FormatRunner {
  /** True when this file runs as a graph (else it is loaded as a Keras model). */
  runs(location: FormatLocation): Promise<boolean>;
  /** Runs the file on `inputs`, giving its outputs in order. */
  run(location: FormatLocation, inputs: readonly RunInput[], options: RunOptions): Promise<HostTensor[]>;
}

/** True when `format` sets a model's weights itself. */
export function readsWeightsIntoModel(format: ModelFormat): format is ModelFormat & WeightsIntoModel {
  return typeof (format as Partial<WeightsIntoModel>).readWeightsInto === "function";
}

/** True when `format` has its own inspect report. */
export function isFormatInspector(format: ModelFormat): format is ModelFormat & FormatInspector {
  return typeof (format as Partial<FormatInspector>).inspect === "function";
}

/** True when `format` can run its files as graphs. */
export function isFormatRunner(format: ModelFormat): format is ModelFormat & FormatRunner {
  const runner = format as Partial<FormatRunner>;
  return typeof runner.runs === "function" && typeof runner.run === "function";
}
