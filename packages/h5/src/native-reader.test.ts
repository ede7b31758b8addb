import type { NumericHostTensor } from "@kerastore/core";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fixturePath, readFixture, realworld } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { type H5ReadBackend, type KerasH5, readKerasH5, writeKeras3WeightsH5, writeLegacyH5 } from "./node.js";

const rw = realworld();
/** Fixtures h5py wrote with structures the native reader leaves to h5wasm. */
const FALLBACK: Record<string, RegExp> = {
  "chunked.h5": /filtered data|chunked data/,
};

function read(bytes: Uint8Array, name: string, backend: H5ReadBackend): Promise<KerasH5> {
  return readKerasH5(bytes, { name, backend });
}

describe("the native reader reads what h5wasm reads", () => {
  const fixtures = readdirSync(fixturePath("h5")).filter((f) => f.endsWith(".h5"));
  for (const file of fixtures) {
    it(file, async () => {
      const bytes = readFixture("h5", file);
      const wasm = await read(bytes, file, "h5wasm");
      if (FALLBACK[file] !== undefined) {
        await expect(read(bytes, file, "native")).rejects.toMatchObject({
          code: "unsupported",
          message: expect.stringMatching(FALLBACK[file]),
        });
      } else {
        expect(await read(bytes, file, "native")).toEqual(wasm);
      }
      expect(await read(bytes, file, "auto")).toEqual(wasm);
    });
  }
});

describe.skipIf(!rw.dir)(
  `real-world files read natively as h5wasm reads them (skipped when: ${rw.missing ?? "never"})`,
  () => {
    const files = rw.dir
      ? readdirSync(rw.dir).filter((f) => /\.(h5|keras)$/.test(f) && !f.includes("inputs_and_outputs"))
      : [];
    for (const file of files) {
      const bytes = new Uint8Array(readFileSync(join(rw.dir!, file)));
      if (bytes[0] !== 0x89) continue;
      it(file, async () => expect(await read(bytes, file, "native")).toEqual(await read(bytes, file, "h5wasm")));
    }
  },
);

describe("native reads", () => {
  it("read dense link and attribute storage (fractal heap, B-tree v2) as h5wasm does", async () => {
    const result = await read(readFixture("h5", "dense_links.h5"), "dense_links.h5", "native");
    if (result.kind === "keras3-weights") throw new Error("expected legacy");
    expect(result.legacy.weights.layers).toHaveLength(300);
    expect(result.legacy.weights.layers[299]!.weights[0]!.shape).toEqual([2, (299 % 7) + 1]);
  });

  it("return weights as views of the input bytes when aligned, copies when not", async () => {
    const { data } = await readKerasH5(readFixture("h5", "seq.h5"));
    const bytes = await writeLegacyH5(data);
    const result = await read(bytes, "ours.h5", "native");
    if (result.kind === "keras3-weights") throw new Error("expected legacy");
    const kernel = result.legacy.weights.layers[0]!.weights[0]! as NumericHostTensor;
    expect(kernel.data.buffer).toBe(bytes.buffer);
    const shifted = new Uint8Array(bytes.byteLength + 1).subarray(1);
    shifted.set(bytes);
    const again = await read(shifted, "shifted.h5", "native");
    if (again.kind === "keras3-weights") throw new Error("expected legacy");
    const copy = again.legacy.weights.layers[0]!.weights[0]! as NumericHostTensor;
    expect(copy.data.buffer).not.toBe(shifted.buffer);
    expect(copy.data).toEqual(kernel.data);
  });

  it("read files the native writer wrote, every dtype included, as h5wasm does", async () => {
    const { data } = await readKerasH5(readFixture("h5", "strings.h5"));
    for (const bytes of [await writeLegacyH5(data, { weightsOnly: true }), await writeKeras3WeightsH5(data)]) {
      expect(await read(bytes, "ours.h5", "native")).toEqual(await read(bytes, "ours.h5", "h5wasm"));
    }
  });

  it("refuse a dataset whose data lies past the end of the file, naming it", async () => {
    const { data } = await readKerasH5(readFixture("h5", "seq.h5"));
    const bytes = await writeLegacyH5(data);
    await expect(read(bytes.subarray(0, bytes.byteLength - 8), "cut.h5", "native")).rejects.toMatchObject({
      code: "corrupt",
      path: expect.stringMatching(/^cut\.h5:\/optimizer_weights\/adam\/seq_\w+:0$/),
    });
  });

  it("refuse a header whose checksum does not match", async () => {
    const { data } = await readKerasH5(readFixture("h5", "seq.h5"));
    const bytes = (await writeLegacyH5(data)).slice();
    bytes[60] = bytes[60]! ^ 0xff; // inside the root group's object header
    await expect(read(bytes, "flip.h5", "native")).rejects.toMatchObject({
      code: "corrupt",
      message: expect.stringContaining("checksum"),
    });
  });
});
