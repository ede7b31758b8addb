import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { readNameList, readText } from "./chunked-attr.js";
import { H5Error, placeOf } from "./errors.js";
import type { H5ReadFile } from "./h5-read-file.js";
import type {
  LegacyH5Contents,
  LegacyLayerWeights,
  LegacyOptimizerWeight,
  LegacyWeightGroup,
} from "./legacy-contents.js";

const MAX_LAYERS = 1_000_000;

function join(group: string, name: string): string {
  return group === "/" ? `/${name}` : `${group}/${name}`;
}

/** Reads a layer group's weights in `weight_names` order. */
function readLayer(file: H5ReadFile, group: string, name: string): LegacyLayerWeights {
  const path = join(group, name);
  if (file.kind(path) !== "group") {
    const place = placeOf(file.name, path);
    throw new H5Error("corrupt", cannot("read", place, `layer "${name}" is in layer_names but has no group`), {
      path: place,
    });
  }
  const weightNames = readNameList(file, path, "weight_names") ?? [];
  const weights = weightNames.map((w) => {
    const at = join(path, w);
    if (file.kind(at) !== "dataset") {
      const place = placeOf(file.name, at);
      throw new H5Error("corrupt", cannot("read", place, `weight "${w}" is in weight_names but has no dataset`), {
        path: place,
      });
    }
    return file.dataset(at);
  });
  return { name, weightNames, weights };
}

/** Reads a Keras 2 weights group (`/` of a weights-only file, or `/model_weights`). */
export function readLegacyWeightGroup(file: H5ReadFile, group: string): LegacyWeightGroup {
  const layerNames = readNameList(file, group, "layer_names");
  if (layerNames === undefined) {
    const place = placeOf(file.name, group);
    throw new H5Error("not-keras", cannot("read", place, "the group has no layer_names attribute"), { path: place });
  }
  if (layerNames.length > MAX_LAYERS) {
    const place = placeOf(file.name, `${group}@layer_names`);
    throw new H5Error("corrupt", cannot("read", place, `${layerNames.length} layers`), { path: place });
  }
  const layers = layerNames.map((name) => readLayer(file, group, name));
  const top = join(group, "top_level_model_weights");
  const topLevel =
    file.kind(top) === "group" && !layerNames.includes("top_level_model_weights")
      ? readLayer(file, group, "top_level_model_weights")
      : undefined;
  return {
    layers,
    topLevel,
    backend: readText(file, group, "backend"),
    kerasVersion: readText(file, group, "keras_version"),
  };
}

function readOptimizerWeights(file: H5ReadFile): LegacyOptimizerWeight[] {
  if (file.kind("/optimizer_weights") !== "group") return [];
  const names = readNameList(file, "/optimizer_weights", "weight_names") ?? [];
  return names.map((name) => {
    const at = join("/optimizer_weights", name);
    if (file.kind(at) !== "dataset") {
      const place = placeOf(file.name, at);
      throw new H5Error("corrupt", cannot("read", place, `optimizer weight "${name}" has no dataset`), {
        path: place,
      });
    }
    return { name, value: file.dataset(at) };
  });
}

function parseJsonAttr(file: H5ReadFile, name: string): JsonValue | undefined {
  const text = readText(file, "/", name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (cause) {
    const place = placeOf(file.name, `/@${name}`);
    throw new H5Error("corrupt", cannot("read", place, `it is not JSON (${(cause as Error).message})`), {
      path: place,
      cause,
    });
  }
}

/** True when the file's root looks like Keras's legacy layout. */
export function isLegacyLayout(file: H5ReadFile): boolean {
  const attrs = file.attrNames("/");
  return (
    attrs.includes("layer_names") ||
    attrs.includes("layer_names0") ||
    attrs.includes("model_config") ||
    file.kind("/model_weights") === "group"
  );
}

/**
 * Reads a legacy full-model or weights-only file as stored; with `optimizer: false`,
 * `/optimizer_weights` is not walked (`optimizerWeights` is empty): what a conversion to a format
 * without optimizer state needs, at half the parse of a compiled model's file.
 */
export function readLegacyContents(file: H5ReadFile, options: { readonly optimizer?: boolean } = {}): LegacyH5Contents {
  const rootAttrs = file.attrNames("/");
  const weightsOnly = rootAttrs.includes("layer_names") || rootAttrs.includes("layer_names0");
  let weights: LegacyWeightGroup;
  if (weightsOnly) {
    weights = readLegacyWeightGroup(file, "/");
  } else if (file.kind("/model_weights") === "group") {
    weights = readLegacyWeightGroup(file, "/model_weights");
  } else if (rootAttrs.includes("model_config")) {
    // A model saved before it was built has a config but no weights group at all.
    weights = { layers: [], topLevel: undefined, backend: undefined, kerasVersion: undefined };
  } else {
    throw new H5Error("not-keras", cannot("read", file.name, "no layer_names, model_weights or model_config"), {
      path: file.name,
    });
  }
  const modelConfig = weightsOnly ? undefined : parseJsonAttr(file, "model_config");
  if (!weightsOnly && (modelConfig === undefined || !isJsonObject(modelConfig))) {
    const place = placeOf(file.name, "/@model_config");
    throw new H5Error("corrupt", cannot("read", place, "expected a JSON object {class_name, config}"), {
      path: place,
    });
  }
  const training = weightsOnly ? undefined : parseJsonAttr(file, "training_config");
  if (training !== undefined && !isJsonObject(training)) {
    const place = placeOf(file.name, "/@training_config");
    throw new H5Error("corrupt", cannot("read", place, "expected a JSON object"), { path: place });
  }
  const allNames = weights.layers.flatMap((l) => l.weightNames);
  const dialect = allNames.length > 0 && allNames.every((n) => !/:\d+$/.test(n)) ? "keras3" : "keras2";
  return {
    kind: weightsOnly ? "legacy-weights" : "legacy-model",
    dialect,
    kerasVersion: weightsOnly ? weights.kerasVersion : (readText(file, "/", "keras_version") ?? weights.kerasVersion),
    backend: weightsOnly ? weights.backend : (readText(file, "/", "backend") ?? weights.backend),
    modelConfig,
    trainingConfig: training as JsonObject | undefined,
    weights,
    optimizerWeights: options.optimizer === false ? [] : readOptimizerWeights(file),
  };
}
