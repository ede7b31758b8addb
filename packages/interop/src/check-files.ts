import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runPython } from "./python.js";

const script = resolve(dirname(fileURLToPath(import.meta.url)), "../python/check_files.py");

/** How Python reads a file Kerastore wrote (see python/check_files.py). */
export type FileReader = "load_model" | "load_weights" | "saved_model" | "checkpoint" | "resume";

/** One file for Python to load and predict with. */
export interface FileCase {
  readonly id: string;
  readonly reader: FileReader;
  readonly path: string;
  /** For `load_weights` / `checkpoint`: a model file Keras 3 loads the architecture from. */
  readonly architecture?: string | undefined;
  /** `.npy` inputs, in the model's input order. */
  readonly inputs: readonly string[];
  /** `.npy` outputs the predictions must equal, in the model's output order. */
  readonly expected: readonly string[];
  /** For `resume`: the `.npy` targets of the training step. */
  readonly targets?: string | undefined;
  /** For `resume`: every dropout rate set to 0 before the step, so that both sides take the same one. */
  readonly noDropout?: boolean | undefined;
  /** The model computes Keras 2's hard_sigmoid: Keras 3 readers are given that definition under the name. */
  readonly keras2HardSigmoid?: boolean | undefined;
}

/** What Python got from one file. */
export interface FileResult {
  /** Largest absolute difference from `expected` over all outputs. */
  readonly diff?: number;
  /** SavedModel: the same through `signatures["serving_default"]`. */
  readonly servingDiff?: number;
  /** Keras 2 hard_sigmoid models: the difference with Keras 3's own definition instead. */
  readonly hardSigmoidDrift?: number;
  readonly compiled?: boolean;
  readonly optimizer?: string;
  readonly optimizerVariables?: number;
  /** Resume: the optimizer's step count once restored, and the `optimizer_weights` names of a legacy file. */
  readonly iterations?: number;
  readonly names?: readonly string[];
  /** Checkpoint: how many variables were read from it. */
  readonly restored?: number;
  readonly error?: string;
  readonly trace?: string;
}

/**
 * Checks many files in ONE Python process (TensorFlow's start-up costs seconds): writes the
 * cases to `dir/cases.json` and returns each case's result by id.
 */
export async function checkFiles(cases: readonly FileCase[], dir: string): Promise<Record<string, FileResult>> {
  const list = join(dir, "cases.json");
  writeFileSync(list, JSON.stringify(cases));
  const { stdout } = await runPython(readFileSync(script, "utf8"), { args: [list], timeoutMs: 900_000 });
  const lines = stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1] ?? "{}") as Record<string, FileResult>;
}
