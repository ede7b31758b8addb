import { type HostTensor, hostTensor } from "@kerastore/core";
import { type SavableModel, keras } from "kerastore";

/** The formats a kill trial saves in, with how each is written and read back. */
export const KILL_FORMATS = ["h5", "keras", "checkpoint", "savedmodel", "sharded"] as const;
export type KillFormat = (typeof KILL_FORMATS)[number];

/** The path a format's save goes to, inside the trial directory. */
export function targetOf(format: KillFormat): string {
  switch (format) {
    case "h5":
      return "model.h5";
    case "keras":
      return "model.keras";
    case "checkpoint":
      return "ckpt/weights";
    case "savedmodel":
      return "saved";
    case "sharded":
      return "model.weights.json";
  }
}

/** A model with every weight drawn from a seeded generator: `variant` 0 and 1 differ everywhere. */
export function trialModel(variant: number, units = 384): SavableModel {
  const model = new keras.Sequential({ name: "trial" });
  model.add(keras.Input({ shape: [32] }));
  model.add(new keras.layers.Dense({ units, activation: "relu", name: "a" }));
  model.add(new keras.layers.Dense({ units, activation: "relu", name: "b" }));
  model.add(new keras.layers.Dense({ units: 4, name: "out" }));
  let seed = 1000 + variant * 7919;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  model.setWeights(
    model.weights.map((w) => Float32Array.from({ length: w.shape.reduce((a, b) => a * b, 1) }, () => next() * 0.2)),
  );
  return model;
}

/** The fixed input every trial predicts on. */
export function trialInput(): HostTensor {
  const data = Float32Array.from({ length: 2 * 32 }, (_, i) => Math.sin(i));
  return hostTensor("float32", [2, 32], data);
}

/** Saves `model` in `format` at `path` (a local path). */
export async function saveAs(model: SavableModel, format: KillFormat, path: string): Promise<void> {
  if (format === "h5" || format === "keras" || format === "savedmodel") return model.save(path);
  if (format === "checkpoint") return model.saveWeights(path);
  return model.saveWeights(path, { maxShardSize: 0.0007 });
}

/** Loads what `format` saved at `path` and returns its predictions on the trial input. */
export async function loadAndPredict(format: KillFormat, path: string): Promise<Float32Array> {
  let model: SavableModel;
  if (format === "h5" || format === "keras" || format === "savedmodel") {
    model = await keras.models.loadModel(path, { compile: false });
  } else {
    model = trialModel(0);
    await model.loadWeights(path);
  }
  try {
    return Float32Array.from((model.predict(trialInput()) as { data: Float32Array }).data);
  } finally {
    model.dispose();
  }
}
