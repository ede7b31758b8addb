import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type HostTensor, hostTensor, readNpy } from "@kerastore/core";
import { realworld } from "@kerastore/fixtures";
import { type SavableModel, builtinFormats, createFormatRegistry, keras, saveModel } from "kerastore";
import { beforeAll, describe, expect, it } from "vitest";
import { kerastoreFormats } from "./index.js";
import { TFJS_REALWORLD } from "./realworld-status.test-util.js";
import { expectOutputsClose, loadInTfjs, memoryStore, predictInTfjs } from "./tfjs-test-support.test-util.js";

// Every model file of ../shared/realworld (MANIFEST.md), converted to the TensorFlow.js Layers
// format as Kerastore loads it (no config edits), then loaded by the real tfjs-layers 4.22:
// - `predicts`: tfjs-layers predicts the recorded Keras output (.output0.npy);
// - `as-kerastore`: no reference output, so tfjs-layers must predict what Kerastore's model does;
// - `refused`: the conversion refuses, naming the blocking layer (or Kerastore cannot load the file).
const rw = realworld();
const formats = () => createFormatRegistry([...builtinFormats, ...kerastoreFormats]);

/** A deterministic input for a model without a recorded one: batch 2 where the batch is free. */
function inputsFor(model: SavableModel): HostTensor[] {
  let seed = 12345;
  return model.inputs.map((t) => {
    const shape = t.shape.map((d, i) => d ?? (i === 0 ? 2 : 3));
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      data[i] = seed / 2147483648 - 0.5;
    }
    return hostTensor("float32", shape, data);
  });
}

describe.skipIf(rw.dir === undefined)(
  `real-world Keras files converted to tfjs${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
  () => {
    const dir = rw.dir ?? "";
    beforeAll(() => keras.ready());

    it("every model file of the folder has a status here", () => {
      const manifest = readFileSync(join(dir, "MANIFEST.md"), "utf8");
      const named = [...manifest.matchAll(/([\w.-]+__[\w.-]+\.(?:h5|keras))/g)]
        .map((m) => m[1]!)
        .filter((f) => !f.includes("inputs_and_outputs"));
      for (const file of named) expect(TFJS_REALWORLD, `status of ${file}`).toHaveProperty([file]);
    });

    async function load(file: string, architecture: string | undefined): Promise<SavableModel> {
      if (architecture === undefined) return keras.models.loadModel(join(dir, file));
      const model = await keras.models.loadModel(join(dir, architecture));
      await model.loadWeights(join(dir, file));
      return model;
    }

    it.each(Object.entries(TFJS_REALWORLD))("%s", async (file, status) => {
      const store = memoryStore();
      if (status.kind === "refused") {
        const convert = async () =>
          saveModel(await load(file, undefined), { store, path: "web_model" }, { format: "tfjs", formats: formats() });
        await expect(convert(), status.why).rejects.toThrow(status.message);
        expect(await store.exists("web_model")).toBe(false);
        return;
      }
      const model = await load(file, status.kind === "predicts" ? status.architecture : undefined);
      await saveModel(model, { store, path: "web_model" }, { format: "tfjs", formats: formats(), onWarning: () => {} });
      const tfjsModel = await loadInTfjs(store, "web_model");
      if (status.kind === "as-kerastore") {
        const inputs = inputsFor(model);
        const ours = model.predict(inputs.length === 1 ? inputs[0]! : inputs);
        const theirs = predictInTfjs(tfjsModel, inputs);
        const list = Array.isArray(ours) ? ours : [ours];
        expect(theirs.length, status.why).toBe(list.length);
        for (const [i, o] of theirs.entries()) expectOutputsClose(o, list[i]!, {}, `${file} output ${i}`);
        return;
      }
      const stem = file.replace(/\.(h5|keras)$/, "");
      const input = readNpy(new Uint8Array(readFileSync(join(dir, `${stem}.input0.npy`))));
      const expected = readNpy(new Uint8Array(readFileSync(join(dir, `${stem}.output0.npy`))));
      const [out] = predictInTfjs(tfjsModel, [input]);
      expectOutputsClose(out!, expected, { rtol: status.rtol ?? 1e-5 }, file);
    });
  },
);
