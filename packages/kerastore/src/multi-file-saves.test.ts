import { type HostTensor, MemoryStore, type NumericHostTensor, type WriteData, hostTensor } from "@kerastore/core";
import { beforeAll, describe, expect, it } from "vitest";
import { type SavableModel, keras } from "./node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

// Issue 16 (2): a save of several files that dies partway (killed, disk full) leaves the old set
// loadable. Before the fix, a TF checkpoint's new .data was renamed in before its .index (a
// kill in between left a checkpoint failing its CRC), and a SavedModel save removed the old
// saved_model.pb first.

/** A store whose writes fail once a path matches, as a save killed at that file would. */
class FailingStore extends MemoryStore {
  failOn: RegExp | undefined;
  override async write(path: string, data: WriteData): Promise<void> {
    if (this.failOn?.test(path)) throw new Error(`disk full writing ${path}`);
    return super.write(path, data);
  }
}

function model(seed: number): SavableModel {
  const m = new keras.Sequential({ name: "m" });
  m.add(keras.Input({ shape: [3] }));
  m.add(new keras.layers.Dense({ units: 4, activation: "relu", name: "a" }));
  m.add(new keras.layers.Dense({ units: 2, name: "b" }));
  m.setWeights(
    m.weights.map((w, i) =>
      Float32Array.from({ length: w.shape.reduce((x, y) => x * y, 1) }, (_, j) => Math.sin(seed * 31 + i * 7 + j)),
    ),
  );
  return m;
}

const x = hostTensor("float32", [2, 3], Float32Array.from([1, 2, 3, -1, 0.5, 2]));

beforeAll(async () => {
  await keras.ready();
});

describe.each([
  ["a TF checkpoint", "ckpt/weights", /\.index/, "weights"],
  ["a TF checkpoint (dying at its state file)", "ckpt/weights", /checkpoint/, "weights"],
  ["a SavedModel", "saved", /saved_model\.pb/, "model"],
  ["a SavedModel (dying at its variables)", "saved", /variables\.data/, "model"],
  ["sharded weights", "w.weights.json", /w\.weights\.json/, "sharded"],
] as const)("%s save that dies partway", (_, path, failOn, kind) => {
  it("leaves the old model loadable, whole", async () => {
    const store = new FailingStore();
    const [old, next] = [model(1), model(2)];
    const save = (m: SavableModel) =>
      kind === "model"
        ? m.save({ store, path })
        : kind === "weights"
          ? m.saveWeights({ store, path })
          : m.saveWeights({ store, path }, { maxShardSize: 0.00000005 });
    await save(old);
    store.failOn = failOn;
    await expect(save(next)).rejects.toThrow(/disk full/);
    store.failOn = undefined;
    let loaded: SavableModel;
    if (kind === "model") loaded = await keras.models.loadModel({ store, path }, { compile: false });
    else {
      loaded = model(3);
      await loaded.loadWeights({ store, path });
    }
    expectAllClose(loaded.predict(x) as HostTensor, old.predict(x) as NumericHostTensor, {
      rtol: 1e-6,
      floor: 1e-3,
      label: path,
    });
    // No staged file of the failed save is left behind.
    expect(store.paths().filter((p) => p.includes("kerastore-stage") || p.includes("kerastore-commit"))).toEqual([]);
    for (const m of [old, next, loaded]) m.dispose();
  });
});
