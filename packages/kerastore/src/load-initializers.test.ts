import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixturePath, fixturesDir, modelFixtures } from "@kerastore/fixtures";
import { initializerCalls } from "@kerastore/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras, loadModel, saveModel } from "./node.js";

// Loading builds every weight as zeros and leaves its initializer pending: the file's value
// replaces it. A file that provides every weight runs no initializer at all (an LSTM(600)'s
// Orthogonal initializer used to take most of its load time).

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-init-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function callsDuringLoad(path: string): Promise<{ calls: number; weights: number }> {
  const before = initializerCalls();
  const model = await loadModel(path);
  const calls = initializerCalls() - before;
  const weights = model.weights.length;
  model.dispose();
  return { calls, weights };
}

// Every golden model file that holds an architecture and its weights.
async function goldenFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const m of modelFixtures())
    for (const f of ["model.keras", "model.h5"]) files.push(fixturePath("models", m.name, f));
  for (const f of ["seq.h5", "fun.h5"]) files.push(fixturePath("h5", f));
  for (const group of ["layers_extra", "keras2_layers"]) {
    const root = join(fixturesDir, group);
    const names = await readdir(root).catch(() => [] as string[]);
    // keras2_layers holds Keras 2 .h5 files only.
    const kinds = group === "keras2_layers" ? ["model.h5"] : ["model.keras", "model.h5"];
    for (const name of names) for (const f of kinds) if (!name.endsWith(".json")) files.push(join(root, name, f));
  }
  return files;
}

describe("loading runs no initializer for a weight the file provides", () => {
  it("holds for every golden model file", async () => {
    const files = await goldenFiles();
    expect(files.length).toBeGreaterThan(30);
    const ran: string[] = [];
    let weights = 0;
    for (const file of files) {
      const r = await callsDuringLoad(file);
      weights += r.weights;
      if (r.calls !== 0) ran.push(`${file}: ${r.calls} initializer calls`);
    }
    expect(ran).toEqual([]);
    expect(weights).toBeGreaterThan(100);
  });

  it("an LSTM loads without running its Orthogonal initializer (the LSTM(600) case, smaller)", async () => {
    const x = keras.Input({ shape: [4, 8] });
    const lstm = new keras.layers.LSTM({ units: 96 });
    const y = new keras.layers.Dense({ units: 1 }).apply(lstm.apply(x));
    const model = new keras.Model({ inputs: x, outputs: y });
    const path = join(dir, "lstm.keras");
    await saveModel(model, path);
    const kernel = model.weights.find((w) => w.path.endsWith("recurrent_kernel"))!.read();
    model.dispose();
    const before = initializerCalls();
    const loaded = await loadModel(path);
    expect(initializerCalls() - before).toBe(0);
    // The file's values, not zeros.
    expect(loaded.weights.find((w) => w.path.endsWith("recurrent_kernel"))!.read().data).toEqual(kernel.data);
    loaded.dispose();
  });
});
