import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, type NumericHostTensor, readNpy } from "@kerastore/core";
import { realworld } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { keras, loadSavedModel } from "../node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

// A model read from a Keras 2 file computes Keras 2's hard_sigmoid; the SavedModel's graph must
// too (TensorFlow's side of the same check: packages/interop/test/write-realworld.test.ts).
const rw = realworld();
describe.skipIf(rw.dir === undefined)(
  `a Keras 2.0 LSTM with hard_sigmoid saved as a SavedModel${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
  () => {
    it("its graph, run by Kerastore's graph runner, gives the Keras 2 recording; the save warns of nothing", async () => {
      await keras.ready();
      const stem = join(rw.dir!, "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_model");
      const model = await keras.models.loadModel(`${stem}.h5`, { onWarning: () => undefined });
      const dir = join(mkdtempSync(join(tmpdir(), "kerastore-k2-sm-")), "saved");
      const told: string[] = [];
      await model.save(dir, { onWarning: (m) => told.push(m) });
      expect(told).toEqual([]);
      const loaded = await loadSavedModel(dir);
      const x = readNpy(new Uint8Array(readFileSync(`${stem}.input0.npy`)));
      const y = readNpy(new Uint8Array(readFileSync(`${stem}.output0.npy`))) as NumericHostTensor;
      expectAllClose((await loaded.functions["__call__"]!(x)) as HostTensor as NumericHostTensor, y, {
        rtol: 1e-4,
        floor: 1e-3,
      });
      loaded.dispose();
      // Revived from keras_metadata.pb (keras_version 2.15.0), it keeps Keras 2's definition too.
      const revived = await keras.models.loadModel(dir, { onWarning: () => undefined });
      expectAllClose(revived.predict(x) as NumericHostTensor, y, { rtol: 1e-4, floor: 1e-3 });
    });
  },
);
