import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readNpy } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { realworld } from "@kerastore/fixtures";
import { builtinFormats, createFormatRegistry } from "kerastore";
import { afterAll, describe, expect, it } from "vitest";
import { kerastoreFormats, tfjsLayersFormat } from "./node.js";
import { TFJS_REALWORLD } from "./realworld-status.test-util.js";
import { expectOutputsClose, loadInTfjs, predictInTfjs } from "./tfjs-test-support.test-util.js";

// `kerastore convert X.h5 web_model --to tfjs` as the CLI runs it: the file read lazily, its
// tree handed to the writer's convertFrom (no live model, no backend), the directory written on
// disk by the Node entry's one-commit writer. tf.keras 2's and Keras 3's legacy .h5 files go this
// way; the others (.keras archives, theano kernels) are declined and take the live-model path.
const rw = realworld();
const work = mkdtempSync(join(tmpdir(), "kerastore-tfjs-direct-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const formats = createFormatRegistry([...builtinFormats, ...kerastoreFormats]);
const quiet = { includeOptimizer: false, weightsOnly: false, liveModel: undefined, onWarning: () => {} };

/** Files the direct path declines (they go through the live model), and why. */
const DECLINED: Readonly<Record<string, string>> = {
  "Aman-21k__cnn-fashion-mnist-classifier__model.keras": "a .keras archive: positional weight names",
  "KonduitAI__dl4j-test-resources__conv2d_theano_2.h5": "theano kernels: the live model converts them",
  "KajetanFrackowiak__tensorflow_fundamentals__model_6.keras": "a .keras archive",
};

describe.skipIf(rw.dir === undefined)(
  `real-world files converted file to file${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
  () => {
    const dir = rw.dir ?? "";
    const store = new NodeStore(work);
    const cases = Object.entries(TFJS_REALWORLD).filter(
      ([, s]) =>
        s.kind === "refused" || (s.kind === "predicts" && s.architecture === undefined) || s.kind === "as-kerastore",
    );
    it.each(cases)("%s", async (file, status) => {
      const from = { store: new NodeStore(dir), path: file };
      const reader = await formats.detect(from);
      const out = file.replace(/\W/g, "_");
      const convert = async () => {
        const read = () => reader.read(from, { safeMode: true, onWarning: () => {}, values: "lazy" });
        return tfjsLayersFormat.convertFrom({ store, path: out }, { reader, location: from, read }, quiet);
      };
      if (DECLINED[file] !== undefined) {
        expect(await convert(), DECLINED[file]).toBe(false);
        expect(await store.exists(out)).toBe(false);
        return;
      }
      if (status.kind === "refused") {
        // The blocking layer is named before anything is written.
        await expect(convert(), status.why).rejects.toThrow(/cannot write .* as tfjs: tfjs-layers 4\.22 cannot read/);
        await expect(convert()).rejects.toThrow(DIRECT_REFUSALS[file]!);
        expect(readdirSync(work).filter((n) => n.includes(out))).toEqual([]);
        return;
      }
      expect(await convert()).toBe(true);
      expect(readdirSync(work).filter((n) => n.startsWith("."))).toEqual([]);
      const tfjsModel = await loadInTfjs(store, out);
      const stem = file.replace(/\.(h5|keras)$/, "");
      const input = readNpy(new Uint8Array(readFileSync(join(dir, `${stem}.input0.npy`))));
      const expected = readNpy(new Uint8Array(readFileSync(join(dir, `${stem}.output0.npy`))));
      expectOutputsClose(predictInTfjs(tfjsModel, [input])[0]!, expected, { rtol: 1e-5 }, file);
    });
  },
);

/** What the direct path names for the files it refuses (the live path's messages are in realworld.test.ts). */
const DIRECT_REFUSALS: Readonly<Record<string, RegExp>> = {
  "SciSharp__Keras.NET__model.h5": /flatten \(Flatten\): the Sequential model was never built/,
  "Dobiasd__frugally-deep__temp_stateful.h5": /gru_1 \(GRU\): reset_after=true/,
  "KajetanFrackowiak__tensorflow_fundamentals__model_6.h5": /\(USELayer\)/,
  // Keras 3.13's legacy .h5, converted file to file: the refusal names the nested Sequential's layers.
  "Alisha4406__Fashion-MNIST-Classification__cnn_model.h5":
    /random_flip \(RandomFlip\): tfjs-layers 4\.22 has no such layer.*random_rotation \(RandomRotation\)/,
};
