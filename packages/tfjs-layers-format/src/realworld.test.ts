import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type HostTensor, hostTensor, readNpy } from "@kerastore/core";
import { realworld } from "@kerastore/fixtures";
import { type SavableModel, builtinFormats, createFormatRegistry, keras, saveModel } from "kerastore";
import { beforeAll, describe, expect, it } from "vitest";
import { kerastoreFormats } from "./index.js";
import { expectOutputsClose, loadInTfjs, memoryStore, predictInTfjs } from "./tfjs-test-support.test-util.js";

// Every model file of ../shared/realworld (MANIFEST.md), converted to the TensorFlow.js Layers
// format as Kerastore loads it (no config edits), then loaded by the real tfjs-layers 4.22:
// - `predicts`: tfjs-layers predicts the recorded Keras output (.output0.npy);
// - `as-kerastore`: no reference output, so tfjs-layers must predict what Kerastore's model does;
// - `refused`: the conversion refuses, naming the blocking layer (or Kerastore cannot load the file).
type Status =
  | { readonly kind: "predicts"; readonly architecture?: string; readonly rtol?: number }
  | { readonly kind: "as-kerastore"; readonly why: string }
  | { readonly kind: "refused"; readonly message: RegExp; readonly why: string };

const predicts: Status = { kind: "predicts" };
export const TFJS_REALWORLD: Readonly<Record<string, Status>> = {
  "A-I-nstein__mnist_cnn__cnn_model.h5": predicts,
  "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5": predicts,
  "Aaronvpp__LSTM-Name-Classification__model.h5": {
    kind: "predicts",
    architecture: "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5",
  },
  "AdamVenroy__sentiment-classifer__model.keras": predicts,
  "Aman-21k__cnn-fashion-mnist-classifier__model.keras": predicts,
  "HsinM__mnist-NCS__model.h5": predicts,
  "HsinM__mnist-NCS__weights.h5": { kind: "predicts", architecture: "HsinM__mnist-NCS__model.h5" },
  "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_model.h5": predicts,
  "KonduitAI__dl4j-test-resources__simple_rnn_tf_keras_2_model.h5": predicts,
  "VKapitany__CNN_Introduction__mnist_cnn.h5": predicts,
  "fastmachinelearning__example-models__KERAS_3layer_batch_norm_weights.h5": {
    kind: "predicts",
    architecture: "fastmachinelearning__example-models__KERAS_3layer_batch_norm.json",
  },
  "KonduitAI__dl4j-test-resources__conv2d_theano_2.h5": {
    kind: "as-kerastore",
    why: "theano kernels (converted on load), no reference output",
  },
  "SciSharp__Keras.NET__model.h5": {
    kind: "refused",
    message: /flatten \(Flatten\): the Sequential model was never built/,
    why: "saved before it was built: no input shape for tfjs-layers to build it from",
  },
  "Dobiasd__frugally-deep__temp_stateful.h5": {
    kind: "refused",
    message: /gru_1 \(GRU\): reset_after=true/,
    why: "its GRU has reset_after=true, which tfjs-layers 4.22's GRU does not have",
  },
  "Alisha4406__Fashion-MNIST-Classification__cnn_model.h5": {
    kind: "refused",
    message: /random_flip \(RandomFlip\): tfjs-layers 4\.22 has no such layer.*random_rotation \(RandomRotation\)/,
    why: "its nested Sequential holds RandomFlip and RandomRotation, which tfjs-layers 4.22 does not have",
  },
  "KajetanFrackowiak__tensorflow_fundamentals__model_6.h5": {
    kind: "refused",
    message: /layer class "USELayer"/,
    why: "a custom TF-Hub layer Kerastore cannot load",
  },
  "KajetanFrackowiak__tensorflow_fundamentals__model_6.keras": {
    kind: "refused",
    message: /layer class "USELayer"/,
    why: "a custom TF-Hub layer Kerastore cannot load",
  },
};

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
