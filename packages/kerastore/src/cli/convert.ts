import { cannot } from "@kerastore/core";
import { FacadeError } from "../errors.js";
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
  const format = to !== undefined ? registry.get(to) : registry.byExtension(locate(target).path);
  if (format === undefined) {
    throw new FacadeError("bad-argument", cannot("convert to", target, "its extension names no format", "pass --to h5|keras|savedmodel|weights-h5|json|checkpoint|tflite"));
  }
  const model = await keras.models.loadModel(source);
  if (format.holds.architecture) await saveModel(model, target, { format: format.name });
  else await saveWeights(model, target, { format: format.name });
}
