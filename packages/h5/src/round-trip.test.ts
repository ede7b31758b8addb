import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fixturePath, readFixture, realworld } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { type H5WriteBackend, type KerasH5, readKerasH5, writeKeras3WeightsH5, writeLegacyH5 } from "./node.js";
import { datasetsOf, sha256Of } from "./test-support.test-util.js";

function digest(result: KerasH5): string[] {
  return [...datasetsOf(result)].map(([path, t]) => `${path} ${t.dtype} [${t.shape}] ${sha256Of(t)}`).sort();
}

async function roundTrip(bytes: Uint8Array, name: string, backend: H5WriteBackend = "native"): Promise<void> {
  const first = await readKerasH5(bytes, { name });
  let again: KerasH5;
  if (first.kind === "keras3-weights") {
    again = await readKerasH5(await writeKeras3WeightsH5(first.data, { backend }), { name: `${name} (rewritten)` });
    expect(again.kind).toBe("keras3-weights");
    if (again.kind !== "keras3-weights") return;
    expect(again.entries.map((e) => `${e.path}=${e.name}`).sort()).toEqual(
      first.entries.map((e) => `${e.path}=${e.name}`).sort(),
    );
  } else {
    const written = await writeLegacyH5(first.data, {
      dialect: first.legacy.dialect,
      weightsOnly: first.kind === "legacy-weights",
      backend,
    });
    again = await readKerasH5(written, { name: `${name} (rewritten)` });
    expect(again.kind).toBe(first.kind);
    if (again.kind === "keras3-weights") return;
    expect(again.legacy.modelConfig).toEqual(first.legacy.modelConfig);
    expect(again.legacy.trainingConfig).toEqual(first.legacy.trainingConfig);
    expect(again.legacy.weights.layers.map((l) => l.name)).toEqual(first.legacy.weights.layers.map((l) => l.name));
    expect(again.data.root.children.map((e) => e.node.variables.map((v) => `${v.path}:${v.trainable}`))).toEqual(
      first.data.root.children.map((e) => e.node.variables.map((v) => `${v.path}:${v.trainable}`)),
    );
  }
  // Keras 2 names gain `:0` where the source had none (Keras 2.2 `param_0`); compare by path.
  const norm = (lines: string[]) => lines.map((l) => l.replace(/:0 /, " ")).sort();
  expect(norm(digest(again))).toEqual(norm(digest(first)));
}

describe("write then read gives the same file contents", () => {
  for (const file of readdirSync(fixturePath("h5")).filter((f) => f.endsWith(".h5"))) {
    it(`${file} (native writer)`, () => roundTrip(readFixture("h5", file), file));
    if (file !== "strings.h5") it(`${file} (h5wasm writer)`, () => roundTrip(readFixture("h5", file), file, "h5wasm"));
  }
  it("the h5wasm writer refuses float16 (it cannot create half types), naming the dataset", async () => {
    const { data } = await readKerasH5(readFixture("h5", "strings.h5"));
    await expect(writeLegacyH5(data, { weightsOnly: true, name: "out.h5", backend: "h5wasm" })).rejects.toMatchObject({
      code: "unsupported",
      path: "out.h5:/nullpad/nullpad/kernel:0",
    });
  });
  it("splits long layer_names into layer_names0..N as Keras does", async () => {
    const { data } = await readKerasH5(readFixture("h5", "long_names.h5"));
    const bytes = await writeLegacyH5(data);
    const again = await readKerasH5(bytes);
    expect(again.data.root.children).toHaveLength(700);
    expect(again.data.root.children.map((e) => e.name)).toEqual(data.root.children.map((e) => e.name));
  });
  it("writes Keras 3 walk paths from class names, made unique per container", async () => {
    const { data } = await readKerasH5(readFixture("h5", "fun.h5"));
    const bytes = await writeKeras3WeightsH5(data);
    const again = await readKerasH5(bytes);
    expect(
      again.kind === "keras3-weights" && again.entries.map((e) => `${e.path}=${e.name}:${e.values.length}`),
    ).toEqual([
      "layers/conv2d=conv2d:2",
      "layers/dense=head:2",
      "layers/flatten=flatten:0",
      "layers/input_layer=pixels:0",
      "optimizer=adam_1:10",
      "=fun:0",
    ]);
  });
});

const rw = realworld();
describe.skipIf(!rw.dir)(`real-world H5 files round trip (skipped when: ${rw.missing ?? "never"})`, () => {
  const dir = rw.dir ?? "";
  const files = rw.dir
    ? readdirSync(dir).filter((f) => /\.(h5|keras)$/.test(f) && !f.includes("inputs_and_outputs"))
    : [];
  for (const file of files) {
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    if (bytes[0] !== 0x89) continue;
    it(file, () => roundTrip(bytes, file));
  }
});
