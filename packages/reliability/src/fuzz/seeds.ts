import { copyFile, mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fixturePath } from "@kerastore/fixtures";
import { keras } from "kerastore";

/** The formats the fuzzer mutates. */
export const FUZZ_FORMATS = [
  "h5",
  "keras",
  "json",
  "weights-h5",
  "checkpoint",
  "savedmodel",
  "sharded",
  "npy",
] as const;
export type FuzzFormat = (typeof FUZZ_FORMATS)[number];

/** How a child loads an input: a whole model, weights into an architecture, a SavedModel graph, a .npy. */
export type FuzzAction = "model" | "weights" | "graph" | "npy";

/** One seed: a file (or a directory of files) that loads, and what to mutate in it. */
export interface Seed {
  readonly format: FuzzFormat;
  readonly name: string;
  /** The seed's directory (copied whole into each mutant's). */
  readonly dir: string;
  /** What the child loads, relative to `dir`. */
  readonly target: string;
  /** The files a mutation may edit, relative to `dir`. */
  readonly files: readonly string[];
  readonly action: FuzzAction;
  /** For `weights`: the model JSON (relative to `dir`) the weights load into. */
  readonly architecture?: string | undefined;
}

const MODELS = ["mlp_sequential", "merge_functional", "lstm", "conv", "embedding"];

/**
 * Writes every seed under `root`: files Python Keras wrote (the fixtures) for .h5, .keras, .json,
 * .weights.h5 and .npy, and Kerastore's own saves of them for the formats it writes as sets
 * (checkpoints, SavedModels, sharded weights), plus a SavedModel TensorFlow wrote.
 */
export async function writeSeeds(root: string): Promise<Seed[]> {
  const seeds: Seed[] = [];
  for (const model of MODELS) {
    const dir = join(root, model);
    await mkdir(dir, { recursive: true });
    for (const file of ["model.h5", "model.keras", "config.json", "model.weights.h5", "input0.npy", "model.json"]) {
      await copyFile(fixturePath("models", model, file), join(dir, file));
    }
    seeds.push({ format: "h5", name: model, dir, target: "model.h5", files: ["model.h5"], action: "model" });
    seeds.push({ format: "keras", name: model, dir, target: "model.keras", files: ["model.keras"], action: "model" });
    seeds.push({ format: "json", name: model, dir, target: "config.json", files: ["config.json"], action: "model" });
    seeds.push({
      format: "weights-h5",
      name: model,
      dir,
      target: "model.weights.h5",
      files: ["model.weights.h5"],
      action: "weights",
      architecture: "model.json",
    });
    seeds.push({ format: "npy", name: model, dir, target: "input0.npy", files: ["input0.npy"], action: "npy" });
    const loaded = await keras.models.loadModel(join(dir, "model.keras"), { compile: false });
    try {
      await loaded.saveWeights(join(dir, "ckpt", "weights"));
      seeds.push({
        format: "checkpoint",
        name: model,
        dir,
        target: "ckpt/weights",
        files: ["ckpt/weights.index", "ckpt/weights.data-00000-of-00001", "ckpt/checkpoint"],
        action: "weights",
        architecture: "model.json",
      });
      await loaded.saveWeights(join(dir, "sharded.weights.json"), { maxShardSize: 0.00001 });
      const shards = (await readdir(dir)).filter((n) => /^sharded_\d+\.weights\.h5$/.test(n));
      seeds.push({
        format: "sharded",
        name: model,
        dir,
        target: "sharded.weights.json",
        files: ["sharded.weights.json", ...shards],
        action: "weights",
        architecture: "model.json",
      });
      if (model !== "embedding") {
        await loaded.save(join(dir, "saved"));
        const files = [
          "saved/saved_model.pb",
          "saved/keras_metadata.pb",
          "saved/variables/variables.index",
          "saved/variables/variables.data-00000-of-00001",
        ];
        seeds.push({ format: "savedmodel", name: model, dir, target: "saved", files, action: "model" });
      }
    } finally {
      loaded.dispose();
    }
  }
  const graph = join(root, "tf_module");
  await mkdir(join(graph, "saved", "variables"), { recursive: true });
  const tfFiles = ["saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"];
  for (const f of tfFiles)
    await copyFile(fixturePath("savedmodel", "tf_module", "saved_model", ...f.split("/")), join(graph, "saved", f));
  seeds.push({
    format: "savedmodel",
    name: "tf_module",
    dir: graph,
    target: "saved",
    files: tfFiles.map((f) => `saved/${f}`),
    action: "graph",
  });
  await writeFile(join(root, "seeds.json"), JSON.stringify(seeds, null, 1));
  return seeds;
}

/** Reads a seed file. */
export function readSeedFile(seed: Seed, file: string): Promise<Uint8Array> {
  return readFile(join(seed.dir, file)).then((b) => new Uint8Array(b));
}
