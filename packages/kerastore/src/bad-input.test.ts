import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KerastoreError, hostTensor } from "@kerastore/core";
import { fixturePath } from "@kerastore/fixtures";
import { readKerasH5, writeLegacyH5 } from "@kerastore/h5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras } from "./node.js";

// Bad input at the facade: files that parse as their format but do not fit the model they
// describe give typed errors naming the file and the place, and nothing is half-loaded.
let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-bad-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("files that do not fit their own config", () => {
  it("a dataset whose shape disagrees with the config: typed error with the file and the weight", async () => {
    const file = await readKerasH5(await readFile(fixturePath("models", "mlp_sequential", "model.h5")), {
      name: "model.h5",
    });
    const layer = file.data.root.children.find((e) => e.node.variables.length > 0)!.node;
    const kernel = layer.variables[0]!;
    const [rows, cols] = kernel.value.shape as [number, number];
    kernel.value = hostTensor("float32", [rows + 1, cols], new Float32Array((rows + 1) * cols));
    const path = join(dir, "wrong-shape.h5");
    await writeFile(path, await writeLegacyH5(file.data, { dialect: "keras3" }));
    const error = await keras.models.loadModel(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerastoreError);
    expect((error as Error).message).toMatch(/cannot load weight .*kernel from .*wrong-shape\.h5: .*\(\d+, \d+\)/);
  });

  it("model_config that is not JSON: typed error naming the file", async () => {
    const file = await readKerasH5(await readFile(fixturePath("models", "mlp_sequential", "model.h5")), {
      name: "model.h5",
    });
    const path = join(dir, "not-json.h5");
    const data = { ...file.data, modelConfig: { class_name: "Sequential", config: { layers: "not a list" } } };
    await writeFile(path, await writeLegacyH5(data, {}));
    const error = await keras.models.loadModel(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerastoreError);
    expect((error as Error).message).toMatch(/^cannot /);
  });

  it("an HDF5 file that is not Keras: typed error", async () => {
    const error = await keras.models.loadModel(fixturePath("h5", "chunked.h5")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerastoreError);
    expect((error as Error).message).toMatch(/chunked\.h5/);
  });

  it("a truncated .keras: typed error naming the archive", async () => {
    const bytes = await readFile(fixturePath("models", "mlp_sequential", "model.keras"));
    const path = join(dir, "truncated.keras");
    await writeFile(path, bytes.subarray(0, bytes.length - 100));
    const error = await keras.models.loadModel(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KerastoreError);
    expect((error as Error).message).toMatch(/truncated\.keras/);
  });
});
