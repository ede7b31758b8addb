import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** A real-world file with a Keras reference output, and how to load it. */
export interface RealworldCase {
  readonly file: string;
  /** For a weights-only file: the file holding its architecture. */
  readonly architecture?: string;
  readonly input: string;
  readonly output: string;
}

// Weights-only files and the sibling whose architecture Keras loaded them into (MANIFEST.md).
const ARCHITECTURE: Readonly<Record<string, string>> = {
  "Aaronvpp__LSTM-Name-Classification__model.h5": "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5",
  "HsinM__mnist-NCS__weights.h5": "HsinM__mnist-NCS__model.h5",
  "fastmachinelearning__example-models__KERAS_3layer_batch_norm_weights.h5":
    "fastmachinelearning__example-models__KERAS_3layer_batch_norm.json",
};

/**
 * Every file of the folder whose `expected.json` entry has a reference output. A weights-only
 * file this list cannot place throws, so a new file is never left out quietly.
 */
export function realworldCases(dir: string): RealworldCase[] {
  const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Record<
    string,
    { reference: string | null }
  >;
  const cases: RealworldCase[] = [];
  for (const [file, entry] of Object.entries(expected)) {
    if (entry.reference === null) continue;
    const stem = file.replace(/\.(h5|keras)$/, "");
    const input = `${stem}.input0.npy`;
    const output = `${stem}.output0.npy`;
    if (!existsSync(join(dir, output))) throw new Error(`${file} has a reference in expected.json but no ${output}`);
    const weightsOnly = /weights loader/.test(entry.reference);
    const architecture = ARCHITECTURE[file];
    if (weightsOnly && architecture === undefined)
      throw new Error(`${file} is weights-only and has no architecture in realworld-cases.ts`);
    cases.push(weightsOnly ? { file, architecture: architecture!, input, output } : { file, input, output });
  }
  return cases;
}
