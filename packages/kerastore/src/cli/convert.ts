import { cannot } from "@kerastore/core";
import { FacadeError } from "../errors.js";
import type { ModelReadResult } from "../formats/format.js";
import type { FormatRegistry } from "../formats/format-registry.js";
import { refuseUnsafeConfig } from "../load-guards.js";
import { describeLocation, locate } from "../location.js";
import { closeSourceLocation, locateSourceForRead } from "./small-file.js";

/** Options of {@link convertFile}. */
export interface ConvertOptions {
  /** The writer's own options (`--quantize`, `--shard-size`, `--no-sync` for `--to tfjs`), as `settings` of `saveModel`. */
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
  /** Told of what the user should know (the format chosen for an extension no writer claims). */
  readonly onWarning?: ((message: string) => void) | undefined;
}

/** The writer `convert` uses for a destination no writer's extension names (as `model.save("my_model")`). */
const DEFAULT_MODEL_FORMAT = "savedmodel";

/**
 * Converts a model file to another format: the whole model (architecture, weights, compile
 * information, optimizer state where both formats carry it), or its weights (a writer that
 * holds no architecture, such as `--to weights-h5`). Any writer in `formats` may be the target.
 *
 * A writer with `convertFrom` (the tfjs writer) converts file to file: the source is read
 * lazily and its weights stream into the destination, with no live model and no backend.
 * Otherwise, or when that writer declines the source, the model is loaded, then saved.
 */
export async function convertFile(
  source: string,
  target: string,
  to: string | undefined,
  formats: FormatRegistry,
  options: ConvertOptions = {},
): Promise<void> {
  const warn = options.onWarning ?? (() => {});
  const destination = locate(target);
  // The rule of model.save("my_model"): a destination no writer's extension names is a SavedModel directory.
  const writer = formats.forWriting(destination.path, to, DEFAULT_MODEL_FORMAT);
  const extension = /^[^.].*(\.[A-Za-z0-9_-]+)$/.exec(destination.path.split("/").pop() ?? "")?.[1];
  if (to === undefined && extension !== undefined && formats.writerByExtension(destination.path) === undefined) {
    warn(
      `no format writes ${extension} files: ${target} will be a ${writer.name} directory (model.save's rule for a name no format claims); choose another with --to <format> (kerastore convert --help lists them)`,
    );
  }
  const settings = options.settings ?? {};
  if (Object.keys(settings).length > 0 && writer.name !== "tfjs") {
    throw new FacadeError(
      "invalid-argument",
      `cannot convert ${source}: --quantize, --shard-size and --no-sync are options of --to tfjs, and the destination is ${writer.name}`,
    );
  }
  const location = await locateSourceForRead(source);
  // A source on the local disk stays open (read as the parse asks) until the file-to-file conversion is done.
  try {
    const reader = await formats.detect(location);
    // An architecture-only source (model.to_json()) would give the destination freshly initialized
    // weights, silently: refused.
    if (!reader.holds.weights && writer.holds.weights) {
      throw new FacadeError(
        "format-cannot-read",
        cannot(
          "convert",
          source,
          `it is a ${reader.name} file, an architecture with no weights, and ${writer.name} would hold freshly initialized ones`,
          "load it and its weights in code (keras.models.modelFromJson, model.loadWeights) and save the model",
        ),
        { path: source },
      );
    }
    if (writer.convertFrom !== undefined) {
      let reading: Promise<ModelReadResult> | undefined;
      // What the writer does not hold (the optimizer's state, for tfjs) is not read.
      const read = { safeMode: true, onWarning: warn, values: "lazy", optimizer: writer.holds.optimizer } as const;
      const readSource = (): Promise<ModelReadResult> =>
        (reading ??= reader.read(location, read).then((result) => {
          if (result.data.modelConfig !== undefined)
            refuseUnsafeConfig(result.data.modelConfig, describeLocation(location), {});
          return result;
        }));
      const writeOptions = { includeOptimizer: false, weightsOnly: false, liveModel: undefined, onWarning: warn };
      if (
        await writer.convertFrom(destination, { reader, location, read: readSource }, { ...writeOptions, ...settings })
      )
        return;
      // What the declined read found already tells a weights-only file (save_weights): said now,
      // without starting the engine for the live model's load to say the same.
      if (reading !== undefined && writer.holds.architecture) {
        const result = await reading;
        if (!result.holds.architecture)
          throw new FacadeError(
            "format-cannot-read",
            cannot(
              "load a model from",
              describeLocation(location),
              `a ${result.format} file holds only weights`,
              "build the model in code and call model.loadWeights()",
            ),
            { path: source },
          );
      }
    }
  } finally {
    closeSourceLocation(location);
  }
  // The live model: loaded (with the engine and its backend), then saved.
  const [{ loadModel, saveModel, saveWeights }, { modelClasses }] = await Promise.all([
    import("../model-io.js"),
    import("../model-classes.js"),
  ]);
  const model = await loadModel(source, { formats, modelClasses, onWarning: warn });
  try {
    const save = { format: writer.name, formats, settings, onWarning: warn };
    if (writer.holds.architecture) await saveModel(model, target, save);
    else await saveWeights(model, target, save);
  } finally {
    model.dispose();
  }
}
