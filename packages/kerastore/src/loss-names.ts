import { type JsonObject, type JsonValue, isJsonObject } from "@kerastore/core";

/**
 * Keras 2's short loss names that Keras 3's legacy `.h5` loader cannot deserialize (it resolves
 * `mse` to the metric function, "not a KerasSaveable subclass"; `logcosh` and
 * `kullback_leibler_divergence` are gone), by the name both tf.keras 2 and Keras 3 know.
 */
const LONG_LOSS_NAMES: Readonly<Record<string, string>> = {
  mse: "mean_squared_error",
  MSE: "mean_squared_error",
  mae: "mean_absolute_error",
  MAE: "mean_absolute_error",
  mape: "mean_absolute_percentage_error",
  MAPE: "mean_absolute_percentage_error",
  msle: "mean_squared_logarithmic_error",
  MSLE: "mean_squared_logarithmic_error",
  kld: "kl_divergence",
  KLD: "kl_divergence",
  kullback_leibler_divergence: "kl_divergence",
  logcosh: "log_cosh",
};

function longLoss(loss: JsonValue): JsonValue {
  if (typeof loss === "string") return LONG_LOSS_NAMES[loss] ?? loss;
  if (Array.isArray(loss)) return loss.map(longLoss);
  if (isJsonObject(loss) && !("class_name" in loss)) {
    const out: JsonObject = {};
    for (const [output, value] of Object.entries(loss)) out[output] = longLoss(value);
    return out;
  }
  return loss;
}

/**
 * A legacy `.h5` `training_config` whose losses are spelled so that every Keras loads it
 * (the same functions under the names Keras 3 can deserialize; metrics are left as they are).
 */
export function withPortableLossNames(trainingConfig: JsonObject | undefined): JsonObject | undefined {
  if (trainingConfig === undefined || !("loss" in trainingConfig)) return trainingConfig;
  return { ...trainingConfig, loss: longLoss(trainingConfig["loss"] ?? null) };
}
