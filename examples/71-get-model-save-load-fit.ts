// The guide's whole-model example end to end, with the model methods:
//
//   def get_model():
//       inputs = keras.Input(shape=(32,)); outputs = keras.layers.Dense(1)(inputs)
//       model = keras.Model(inputs, outputs)
//       model.compile(optimizer="adam", loss="mean_squared_error")
//       return model
//   model = get_model(); model.fit(test_input, test_target)
//   model.save(...); reconstructed_model = keras.models.load_model(...)
//   np.testing.assert_allclose(model.predict(test_input), reconstructed_model.predict(test_input))
//   # The reconstructed model is already compiled and has retained the optimizer state,
//   # so training can resume:
//   reconstructed_model.fit(test_input, test_target)
//
// Here for both whole-model formats Kerastore writes: `.keras` and legacy `.h5`. Resuming is
// checked as the guide means it: the reloaded model's next epoch equals the original's.
import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostTensor } from "@kerastore/core";
import { keras } from "kerastore";
import { random } from "./support.js";

function getModel() {
  const inputs = keras.Input({ shape: [32] });
  const outputs = new keras.layers.Dense({ units: 1 }).apply(inputs);
  const model = new keras.Model({ inputs, outputs });
  model.compile({ optimizer: "adam", loss: "mean_squared_error" });
  return model;
}

/** Runs fit with the progress bar and returns the printed lines (also shown on stdout). */
async function fitPrinting(
  model: { fit: ReturnType<typeof getModel>["fit"] },
  x: HostTensor,
  y: HostTensor,
): Promise<string[]> {
  let printed = "";
  await model.fit(x, y, {
    shuffle: false,
    verbose: 1,
    output: {
      write: (s) => {
        printed += s;
        process.stdout.write(s);
      },
      isTTY: false,
    },
  });
  return printed.split("\n");
}

const PROGRESS = /^4\/4 \[==============================\] - \d+s \d+(us|ms|s)\/step - loss: \d+\.\d{4}$/;

export async function main(): Promise<void> {
  await keras.ready();
  const testInput = random([128, 32], 1);
  const testTarget = random([128, 1], 2);
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-71-"));
  try {
    for (const file of ["my_model.keras", "my_h5_model.h5"]) {
      const model = getModel();
      const history = await model.fit(testInput, testTarget, { shuffle: false, verbose: 0 });
      strictEqual(history.epoch.length, 1);
      await model.save(join(dir, file));

      const reconstructed = await keras.models.loadModel(join(dir, file));
      deepStrictEqual(reconstructed.predict(testInput), model.predict(testInput));
      // Already compiled, with the optimizer state retained.
      strictEqual(reconstructed.optimizer?.className, "Adam");
      strictEqual(reconstructed.optimizer?.iterations, 4);
      strictEqual(reconstructed.compileConfig.loss, "mean_squared_error");

      // Training resumes: the guide's progress line, and the same epoch as the original's.
      const lines = await fitPrinting(reconstructed, testInput, testTarget);
      match(lines[1]!, PROGRESS);
      await model.fit(testInput, testTarget, { shuffle: false, verbose: 0 });
      deepStrictEqual(reconstructed.getWeights(), model.getWeights());
      strictEqual(reconstructed.optimizer?.iterations, 8);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
