// The guide's get_model / compile / fit snippet (SavedModel 格式 示例): a Dense(1) on 32 inputs,
// compiled with optimizer="adam" and loss="mean_squared_error", trained on 128 random samples
// with the guide's printed line `4/4 [==============================] - 0s 1ms/step - loss: ...`.
// Then what saving the optimizer buys ("training can resume"): the compile config and the
// optimizer's variables go into a fresh model, and one more epoch there equals one more epoch
// of the original, update for update.
import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import {
  Dense,
  Input,
  Model,
  clearSession,
  compile,
  compileOptionsFromConfig,
  fit,
  initBackend,
  modelTarget,
  optimizerFromSavedNode,
  optimizerToSavedNode,
  tf,
} from "@kerastore/engine";

function getModel(): Model {
  const inputs = Input({ shape: [32] });
  const outputs = new Dense({ units: 1 }).apply(inputs);
  return new Model({ inputs, outputs });
}

export async function main(): Promise<void> {
  await initBackend();
  clearSession();
  const model = getModel();
  const compiled = compile({}, { optimizer: "adam", loss: "mean_squared_error" });

  const testInput = tf.randomUniform([128, 32], 0, 1, "float32", 1);
  const testTarget = tf.randomUniform([128, 1], 0, 1, "float32", 2);
  let printed = "";
  // verbose 1 prints the bar even when stdout is not a terminal (then only each epoch's final line).
  await fit(modelTarget(model), compiled, testInput, testTarget, {
    verbose: 1,
    output: {
      write: (s) => {
        printed += s;
        process.stdout.write(s);
      },
      isTTY: false,
    },
  });
  const line = printed.split("\n")[1]!;
  match(line, /^4\/4 \[==============================\] - \d+s \d+(us|ms|s)\/step - loss: \d+\.\d{4}$/);

  // What a saved model carries for training: the compile config and the optimizer's variables.
  const compileConfig = compiled.compileConfig();
  strictEqual((compileConfig.optimizer as { class_name: string }).class_name, "Adam");
  strictEqual(compileConfig.loss, "mean_squared_error");
  const optimizerNode = optimizerToSavedNode(compiled.optimizer);
  deepStrictEqual(
    optimizerNode.variables.map((v) => v.path),
    [
      "adam/iteration",
      "adam/learning_rate",
      "adam/dense_kernel_momentum",
      "adam/dense_kernel_velocity",
      "adam/dense_bias_momentum",
      "adam/dense_bias_velocity",
    ],
  );
  strictEqual(optimizerNode.variables[0]!.value.data[0], 4n);

  // The reconstructed model: same architecture, same weights, compiled from the config, the
  // optimizer state restored.
  clearSession();
  const reconstructed = getModel();
  reconstructed.setWeights(model.getWeights());
  const recompiled = compile({}, compileOptionsFromConfig(compileConfig));
  optimizerFromSavedNode(recompiled.optimizer, optimizerNode, modelTarget(reconstructed).trainableVariables);

  // One more epoch on each: identical weights afterwards.
  await fit(modelTarget(model), compiled, testInput, testTarget, { verbose: 0, shuffle: false });
  await fit(modelTarget(reconstructed), recompiled, testInput, testTarget, { verbose: 0, shuffle: false });
  const after = reconstructed.getWeights();
  for (const [i, w] of model.getWeights().entries())
    deepStrictEqual(Array.from(w.data as Float32Array), Array.from(after[i]!.data as Float32Array));
  strictEqual(recompiled.optimizer.iterations, 8);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
