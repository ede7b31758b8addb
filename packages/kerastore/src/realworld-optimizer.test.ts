import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type HostTensor, toFloat32 } from "@kerastore/core";
import { realworld } from "@kerastore/fixtures";
import { readKerasH5 } from "@kerastore/h5";
import { beforeAll, describe, expect, it } from "vitest";
import { keras } from "./node.js";

// The real files of ../shared/realworld that carry optimizer_weights (written by standalone
// Keras 2.1-2.3, tf.keras 2.6-2.8 and Keras 3.13) load compiled with that state: the step
// counter is the file's, and every slot of the optimizer holds one of the file's tensors.
const rw = realworld();
const FILES: Readonly<Record<string, { optimizer: string; iterations: boolean }>> = {
  "A-I-nstein__mnist_cnn__cnn_model.h5": { optimizer: "Adam", iterations: true },
  "Aaronvpp__LSTM-Name-Classification__lstm_genre_classifier_lstm.h5": { optimizer: "Adam", iterations: true },
  "Alisha4406__Fashion-MNIST-Classification__cnn_model.h5": { optimizer: "Adam", iterations: true },
  "HsinM__mnist-NCS__model.h5": { optimizer: "Adam", iterations: true },
  "KonduitAI__dl4j-test-resources__simple_lstm_tf_keras_2_model.h5": { optimizer: "RMSprop", iterations: false },
  "KonduitAI__dl4j-test-resources__simple_rnn_tf_keras_2_model.h5": { optimizer: "RMSprop", iterations: false },
  "VKapitany__CNN_Introduction__mnist_cnn.h5": { optimizer: "Adam", iterations: true },
};

const same = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => v === b[i]);

describe.skipIf(!rw.dir)(`real-world optimizer state${rw.dir ? "" : ` (skipped: ${rw.missing})`}`, () => {
  beforeAll(async () => {
    await keras.ready();
  });

  for (const [file, expected] of Object.entries(FILES)) {
    it(file, async () => {
      const path = join(rw.dir!, file);
      const raw = await readKerasH5(new Uint8Array(readFileSync(path)), { name: file });
      const saved = raw.data.root.children
        .find((e) => e.name === "optimizer")!
        .node.variables.map((v) => v.value as HostTensor);
      const warnings: string[] = [];
      const model = await keras.models.loadModel(path, { onWarning: (m) => warnings.push(m) });
      expect(warnings).toEqual([]);
      const optimizer = model.optimizer!;
      expect(optimizer.className).toBe(expected.optimizer);
      if (expected.iterations) expect(optimizer.iterations).toBe(Number(saved[0]!.data[0]));
      expect(optimizer.iterations).toBeGreaterThanOrEqual(expected.iterations ? 1 : 0);
      const fileValues = saved.map((t) => toFloat32(t as never));
      const values = optimizer.getWeights();
      let slots = 0;
      let nonZero = 0;
      optimizer.variables().forEach((v, i) => {
        if (v.slotName === undefined) return;
        slots++;
        const ours = values[i] as Float32Array;
        expect(
          fileValues.some((f) => same(f, ours)),
          `${v.path} holds one of the file's tensors`,
        ).toBe(true);
        // (A recurrent kernel run on one time step from a zero state gets zero gradients.)
        if (ours.some((x) => x !== 0)) nonZero++;
      });
      expect(slots).toBe(model.trainableWeights.length * (expected.optimizer === "Adam" ? 2 : 1));
      expect(nonZero).toBeGreaterThan(slots / 2);
    });
  }
});
