import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type NumericHostTensor, readNpy } from "@kerastore/core";
import { realworld } from "@kerastore/fixtures";
import { beforeAll, describe, expect, it } from "vitest";
import { type SavableModel, keras } from "./node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

// Every Keras file of ../shared/realworld (see its MANIFEST.md), with what Kerastore does with it
// today. `predicts`: loads as it is (no config edits) and matches the recorded .output0.npy to
// 1e-4 relative. `weights-on`: a weights-only file, loaded into the architecture of the named
// twin. `loads`: loads, with nothing recorded to compare. `fails`: gives a typed error whose message matches (an unsupported layer is named).
type Fails = { readonly kind: "fails"; readonly message: RegExp; readonly why: string; readonly architecture?: string };
type Status =
  | { readonly kind: "predicts"; readonly architecture?: string }
  | { readonly kind: "loads"; readonly why: string }
  | Fails;

const predicts: Status = { kind: "predicts" };
const weightsOn = (architecture: string): Status => ({ kind: "predicts", architecture });
export const REALWORLD_STATUS: Readonly<Record<string, Status>> = {
  "A-I-nstein__mnist_cnn__cnn_model.h5": predicts,
  "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5": predicts,
  "Aaronvpp__LSTM-Name-Classification__model.h5": weightsOn(
    "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5",
  ),
  "AdamVenroy__sentiment-classifer__model.keras": predicts,
  "Alisha4406__Fashion-MNIST-Classification__cnn_model.h5": predicts,
  "Aman-21k__cnn-fashion-mnist-classifier__model.keras": predicts,
  "HsinM__mnist-NCS__model.h5": predicts,
  "HsinM__mnist-NCS__weights.h5": weightsOn("HsinM__mnist-NCS__model.h5"),
  "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_model.h5": predicts,
  "KonduitAI__dl4j-test-resources__simple_rnn_tf_keras_2_model.h5": predicts,
  "VKapitany__CNN_Introduction__mnist_cnn.h5": predicts,
  "fastmachinelearning__example-models__KERAS_3layer_batch_norm_weights.h5": weightsOn(
    "fastmachinelearning__example-models__KERAS_3layer_batch_norm.json",
  ),
  "KonduitAI__dl4j-test-resources__conv2d_theano_2.h5": { kind: "loads", why: "theano kernels, no reference output" },
  "SciSharp__Keras.NET__model.h5": {
    kind: "loads",
    why: "saved before the model was built: it loads with freshly initialized weights, as Keras would",
  },
  "Dobiasd__frugally-deep__temp_stateful.h5": {
    kind: "loads",
    why: "stateful GRU with an initial state input; Keras 3 cannot build it, so no reference",
  },
  "KajetanFrackowiak__tensorflow_fundamentals__model_6.h5": {
    kind: "fails",
    message: /layer class "USELayer".*customObjects/,
    why: "a custom TF-Hub layer: the user must pass it in customObjects",
  },
  "KajetanFrackowiak__tensorflow_fundamentals__model_6.keras": {
    kind: "fails",
    message: /layer class "USELayer".*customObjects/,
    why: "a custom TF-Hub layer: the user must pass it in customObjects",
  },
  "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_inputs_and_outputs.h5": {
    kind: "fails",
    message: /not a Keras|not-keras|no model_config|Keras/i,
    why: "plain HDF5 data (inputs and targets), not a Keras file",
  },
  "KonduitAI__dl4j-test-resources__simple_rnn_tf_keras_2_inputs_and_outputs.h5": {
    kind: "fails",
    message: /not a Keras|not-keras|no model_config|Keras/i,
    why: "plain HDF5 data (recorded activations), not a Keras file",
  },
};

const rw = realworld();

describe.skipIf(rw.dir === undefined)(`real-world Keras files${rw.missing ? ` (skipped: ${rw.missing})` : ""}`, () => {
  const dir = rw.dir ?? "";
  beforeAll(() => keras.ready());

  it("every model file of the folder has a status here", () => {
    const files = readFileSync(join(dir, "MANIFEST.md"), "utf8");
    const named = [...files.matchAll(/([\w.-]+__[\w.-]+\.(?:h5|keras))/g)].map((m) => m[1]!);
    for (const file of named) expect(REALWORLD_STATUS, `status of ${file}`).toHaveProperty([file]);
  });

  async function load(file: string, architecture: string | undefined): Promise<SavableModel> {
    if (architecture === undefined) return keras.models.loadModel(join(dir, file));
    const model = await keras.models.loadModel(join(dir, architecture));
    await model.loadWeights(join(dir, file));
    return model;
  }

  it.each(Object.entries(REALWORLD_STATUS))("%s", async (file, status) => {
    if (status.kind === "fails") {
      await expect(load(file, status.architecture), status.why).rejects.toThrow(status.message);
      return;
    }
    if (status.kind === "loads") {
      const model = await load(file, undefined);
      expect(model.layers.length, status.why).toBeGreaterThan(0);
      return;
    }
    const model = await load(file, status.architecture);
    const stem = file.replace(/\.(h5|keras)$/, "");
    const input = readNpy(new Uint8Array(readFileSync(join(dir, `${stem}.input0.npy`))));
    const expected = readNpy(new Uint8Array(readFileSync(join(dir, `${stem}.output0.npy`))));
    const out = model.predict(input);
    expectAllClose(Array.isArray(out) ? out[0]! : out, expected as NumericHostTensor, {
      rtol: 1e-4,
      floor: 1e-3,
      label: file,
    });
  });
});
