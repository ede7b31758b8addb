import type { FormatRegistry } from "../formats/format-registry.js";
import { locate } from "../location.js";
import { modelClasses } from "../model-classes.js";
import { DEFAULT_MODEL_FORMAT, loadModel, saveModel, saveWeights } from "../model-io.js";

/**
 * Converts a model file to another format: the whole model (architecture, weights, compile
 * information, optimizer state where both formats carry it), or its weights (a writer that
 * holds no architecture, such as `--to weights-h5`). Any writer in `formats` may be the target.
 */
export async function convertFile(
  source: string,
  target: string,
  to: string | undefined,
  formats: FormatRegistry,
): Promise<void> {
  // The rule of model.save("my_model"): a destination no writer's extension names is a SavedModel directory.
  const writer = formats.forWriting(locate(target).path, to, DEFAULT_MODEL_FORMAT);
  const model = await loadModel(source, { formats, modelClasses });
  if (writer.holds.architecture) await saveModel(model, target, { format: writer.name, formats });
  else await saveWeights(model, target, { format: writer.name, formats });
}
