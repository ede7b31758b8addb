import { readFileSync } from "node:fs";
import { type NumericHostTensor, readNpy } from "@kerastore/core";
import { fixturePath } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { openUrl } from "./file-system.js";
import { blobTarget, keras } from "./node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

// The targets pages use, exercised in Node (whose Blob and File are the web's): bytes, blobs,
// files, and saving to a blob. The Chromium tests run the same paths in a real browser.
describe("web targets", () => {
  const file = fixturePath("models/conv/model.keras");
  const bytes = new Uint8Array(readFileSync(file));
  const input = readNpy(readFileSync(fixturePath("models/conv/input0.npy")));
  const expected = readNpy(readFileSync(fixturePath("models/conv/output0.npy"))) as NumericHostTensor;
  beforeAll(() => keras.ready());

  it.each([
    ["a Uint8Array", () => bytes],
    [
      "a view into a larger buffer",
      () => {
        const big = new Uint8Array(bytes.length + 16);
        big.set(bytes, 7);
        return big.subarray(7, 7 + bytes.length);
      },
    ],
    ["an ArrayBuffer", () => bytes.slice().buffer],
    ["an unnamed Blob", () => new Blob([bytes])],
    ["a File", () => new File([bytes], "conv.keras")],
  ] as const)("loads from %s, found by its first bytes", async (_what, make) => {
    const model = await keras.models.loadModel(make());
    expectAllClose(model.predict(input) as NumericHostTensor, expected, { rtol: 1e-4, floor: 1e-3 });
  });

  it("saves to a blobTarget whose bytes load back with the same predictions", async () => {
    const model = await keras.models.loadModel(bytes);
    const target = blobTarget("copy.h5");
    await model.save(target);
    const blob = await target.blob();
    expect(blob.type).toBe("application/x-hdf5");
    const back = await keras.models.loadModel(new File([new Uint8Array(await blob.arrayBuffer())], "copy.h5"));
    expectAllClose(back.predict(input) as NumericHostTensor, expected, { rtol: 1e-5, floor: 1e-3 });
  });

  it("says why a blobTarget has no blob: nothing saved yet, or a directory format", async () => {
    await expect(blobTarget("m.keras").blob()).rejects.toThrow(
      /cannot make a blob of m\.keras: nothing has been saved to it yet/,
    );
    const model = await keras.models.loadModel(bytes);
    const target = blobTarget("saved_model_dir");
    await model.save(target);
    await expect(target.blob()).rejects.toThrow(/the format wrote a directory; name the target \.keras or \.h5/);
  });

  it("opens URLs over HTTP without a file system, and says so for a path", () => {
    const { store, path } = openUrl("https://example.org/models/v2/model%20a.keras?x=1");
    expect(path).toBe("model a.keras");
    expect(store.description).toBe("https://example.org/models/v2");
    expect(() => openUrl("models/model.h5")).toThrow(
      /cannot open models\/model\.h5: it is no URL and this runtime has no file system/,
    );
  });
});
