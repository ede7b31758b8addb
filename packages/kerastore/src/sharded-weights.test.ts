import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTensor } from "@kerastore/core";
import { fixturePath, readFixtureNpy } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FacadeError, keras } from "./node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-sharded-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("sharded weights (.weights.json)", () => {
  it("saves in several shards and loads back into a fresh copy with equal predictions", async () => {
    const model = await keras.models.loadModel(fixturePath("models", "3_layer_mlp", "model.keras"));
    const x = readFixtureNpy("models", "3_layer_mlp", "input0.npy");
    // 210,000-byte shards: the largest variable (200,704 bytes) fits, the model needs several.
    await model.saveWeights(join(dir, "mlp.weights.json"), { maxShardSize: 210_000 / 1024 ** 3 });
    const files = (await readdir(dir)).filter((f) => f.startsWith("mlp"));
    expect(files.length).toBeGreaterThan(2);
    expect(files).toContain("mlp_00000.weights.h5");
    const fresh = keras.models.cloneModel(model);
    const result = await fresh.loadWeights(join(dir, "mlp.weights.json"));
    expect(result.format).toBe("weights-json");
    expectAllClose(fresh.predict(x) as HostTensor, readFixtureNpy("models", "3_layer_mlp", "output0.npy"), {
      rtol: 1e-5,
      floor: 1e-3,
      label: "sharded",
    });
  });

  it("refuses an index path that is not .weights.json, and a variable larger than a shard", async () => {
    const model = await keras.models.loadModel(fixturePath("models", "3_layer_mlp", "model.keras"));
    await expect(model.saveWeights(join(dir, "w.bin"), { maxShardSize: 1 })).rejects.toThrow(FacadeError);
    await expect(model.saveWeights(join(dir, "tiny.weights.json"), { maxShardSize: 16 / 1024 ** 3 })).rejects.toThrow(
      /maximum shard size/,
    );
    expect((await readdir(dir)).filter((f) => f.startsWith("tiny"))).toEqual([]);
  });
});
