import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { SavableModel } from "kerastore";
import type { FileCase, FileReader } from "../src/index.js";

/** One way Kerastore writes a model, and how Python reads the result back. */
export interface WrittenFormat {
  /** The file (or directory, or checkpoint prefix) name inside the model's folder. */
  readonly file: string;
  readonly label: string;
  readonly reader: FileReader;
  /** The architecture a weights-only format is loaded into (the `.keras` written beside it). */
  readonly needsArchitecture: boolean;
  /** Holds the architecture, so saving it warns of hard_sigmoid as Keras 3 reads it. */
  readonly holdsArchitecture: boolean;
  readonly write: (model: SavableModel, path: string, onWarning: (message: string) => void) => Promise<void>;
}

/** Every format Kerastore writes a whole model or its weights to (docs/kerastore.md). */
export const WRITTEN_FORMATS: readonly WrittenFormat[] = [
  {
    file: "model.keras",
    label: ".keras",
    reader: "load_model",
    needsArchitecture: false,
    holdsArchitecture: true,
    write: (m, p, w) => m.save(p, { onWarning: w }),
  },
  {
    file: "keras2.h5",
    label: ".h5 (Keras 2 dialect)",
    reader: "load_model",
    needsArchitecture: false,
    holdsArchitecture: true,
    write: (m, p, w) => m.save(p, { onWarning: w }),
  },
  {
    file: "keras3.h5",
    label: ".h5 (Keras 3 dialect)",
    reader: "load_model",
    needsArchitecture: false,
    holdsArchitecture: true,
    write: (m, p, w) => m.save(p, { onWarning: w, settings: { dialect: "keras3" } }),
  },
  {
    file: "model.weights.h5",
    label: ".weights.h5",
    reader: "load_weights",
    needsArchitecture: true,
    holdsArchitecture: false,
    write: (m, p) => m.saveWeights(p),
  },
  // 1 MB shards: the larger real-world models split over several files.
  {
    file: "model.weights.json",
    label: "sharded weights",
    reader: "load_weights",
    needsArchitecture: true,
    holdsArchitecture: false,
    write: (m, p) => m.saveWeights(p, { maxShardSize: 0.001 }),
  },
  {
    file: "ckpt",
    label: "TF checkpoint",
    reader: "checkpoint",
    needsArchitecture: true,
    holdsArchitecture: false,
    write: (m, p) => m.saveWeights(p),
  },
  {
    file: "saved_model",
    label: "SavedModel",
    reader: "saved_model",
    needsArchitecture: false,
    holdsArchitecture: true,
    write: (m, p, w) => m.save(p, { onWarning: w }),
  },
];

/** What writing one model to every format gave: the Python cases, and the warnings of each save. */
export interface Written {
  readonly cases: FileCase[];
  readonly warnings: Record<string, string[]>;
}

/**
 * Writes `model` in every format under `dir` and returns the Python cases that load each file
 * and compare its predictions with `expected`. The `.keras` file is written first: the
 * weights-only formats are loaded into its architecture.
 */
export async function writeEverywhere(
  model: SavableModel,
  dir: string,
  id: string,
  io: { inputs: readonly string[]; expected: readonly string[]; keras2HardSigmoid?: boolean },
  options: { skip?: readonly FileReader[]; skipFiles?: readonly string[] } = {},
): Promise<Written> {
  mkdirSync(dir, { recursive: true });
  const cases: FileCase[] = [];
  const warnings: Record<string, string[]> = {};
  for (const format of WRITTEN_FORMATS) {
    if (options.skip?.includes(format.reader) === true || options.skipFiles?.includes(format.file) === true) continue;
    const path = join(dir, format.file);
    const told: string[] = [];
    await format.write(model, path, (message) => told.push(message));
    warnings[format.file] = told;
    cases.push({
      id: `${id}|${format.file}`,
      reader: format.reader,
      path,
      architecture: format.needsArchitecture ? join(dir, "model.keras") : undefined,
      inputs: io.inputs,
      expected: io.expected,
      keras2HardSigmoid: io.keras2HardSigmoid,
    });
  }
  return { cases, warnings };
}
