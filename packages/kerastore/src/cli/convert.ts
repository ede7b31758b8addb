import { defaultFormatRegistry } from "../formats/builtin-formats.js";
import { keras } from "../keras.js";
import { locate } from "../location.js";
import { saveModel, saveWeights } from "../model-io.js";

/**
 * Converts a model file to another format: the whole model (architecture, weights, compile
 * information, optimizer state where both formats carry it), or its weights (`--to weights-h5`).
 */
export async function convertFile(source: string, target: string, to: string | undefined): Promise<void> {
  const registry = defaultFormatRegistry();
  // The rule of model.save("my_model"): a destination no format's extension names is a SavedModel directory.
  const format = to !== undefined ? registry.get(to) : (registry.byExtension(locate(target).path) ?? registry.get("savedmodel"));
  const model = await keras.models.loadModel(source);
  if (format.holds.architecture) await saveModel(model, target, { format: format.name });
  else await saveWeights(model, target, { format: format.name });
}
