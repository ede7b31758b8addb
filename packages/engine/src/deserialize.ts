import { type JsonObject, type JsonValue, cannot, isJsonObject } from "@kerastore/core";
import { unknownNameMessage } from "@kerastore/config";
import { openScopes, scopedObjects } from "./custom-scope.js";
import { EngineError } from "./errors.js";
import { kerasLayerNames } from "./keras-layer-names.js";
import { isPythonCodeLayer, pythonCodeLayerError, refuseKeras1Config } from "./layer-refusals.js";
import { type FromConfigContext, checkBuiltinOrigin, readEnvelope } from "./keras-object.js";
import type { Layer, LayerClass } from "./layer.js";
import { builtinObject, resolveObject } from "./resolve-object.js";
import { KerasOperation, operationModuleOf } from "./layers/operations.js";
import type { Shape } from "./symbolic.js";

// The built-in layer classes are entries of the registry's built-in table, which the engine's
// entry point fills by an explicit `installBuiltins()` (builtins.ts): the model classes that
// deserialize sublayers cannot import the list themselves, as the list imports the model classes
// (an import cycle that breaks `class ... extends Model`).
function builtinLayer(className: string): LayerClass | undefined {
  return builtinObject<LayerClass>("layer", className);
}

/** The context with the open customObjectScopes merged under its own customObjects. */
export function withScopes(ctx: FromConfigContext): FromConfigContext {
  const frames = openScopes();
  if (frames.length === 0) return ctx;
  return { ...ctx, customObjects: { ...scopedObjects(), ...ctx.customObjects } };
}

/** Finds a layer class by name, in the one registry order (`resolveObject`). */
export function layerClass(
  className: string,
  registeredName: string | null,
  ctx: FromConfigContext,
  module: string | null = null,
): LayerClass {
  const found = resolveObject("layer", [registeredName, className], ctx);
  const custom = found === undefined || found.source === "builtin" ? undefined : found.value;
  if (custom !== undefined) {
    // Only layer classes where layers go: a function, or a class that is not a layer, cannot be built.
    const candidate = custom as { prototype?: { build?: unknown; getConfig?: unknown }; fromConfig?: unknown };
    if (
      typeof candidate.fromConfig !== "function" ||
      typeof candidate.prototype?.build !== "function" ||
      typeof candidate.prototype.getConfig !== "function"
    ) {
      throw new EngineError(
        "invalid-config",
        cannot(
          "deserialize",
          `layer "${registeredName ?? className}"`,
          `the name finds ${(custom as { name?: string }).name || "a function"}, which is not a layer class`,
        ),
      );
    }
    return custom as unknown as LayerClass;
  }
  const builtin = builtinLayer(className);
  if (builtin !== undefined) {
    checkBuiltinOrigin({ className, module, registeredName }, "layer");
    return builtin;
  }
  if (isPythonCodeLayer(className) && (registeredName === null || !registeredName.includes(">")))
    throw pythonCodeLayerError(className);
  if (kerasLayerNames.has(className) && (registeredName === null || !registeredName.includes(">"))) {
    // A Keras layer, not a custom one: customObjects would not help.
    throw new EngineError(
      "unsupported",
      cannot(
        "deserialize",
        `layer class "${className}"`,
        `Keras layer ${className} is not supported by Kerastore yet (docs/layers.md lists the layers it runs)`,
      ),
    );
  }
  throw new EngineError("unknown-object", unknownNameMessage("layer", "class", className));
}

/** Makes a layer (or model) from its `{class_name, config}` envelope, either dialect. */
export function deserializeLayer(json: JsonValue | undefined, ctx: FromConfigContext = {}): Layer {
  // Models nest models: a hostile config could nest deep enough to exhaust the stack.
  if (depth >= MAX_DEPTH) {
    throw new EngineError(
      "invalid-config",
      cannot("deserialize", "a layer config", `it nests models more than ${MAX_DEPTH} deep`),
    );
  }
  depth++;
  try {
    return deserializeAt(json, ctx);
  } finally {
    depth--;
  }
}

const MAX_DEPTH = 64;
let depth = 0;

function deserializeAt(json: JsonValue | undefined, ctx: FromConfigContext): Layer {
  const full = withScopes(ctx);
  const ref = readEnvelope(json, "a layer config");
  // A Keras 3 operation node (`x + 3.0`): its module is keras.src.ops.*, its class name may be a layer's too (Add).
  // A custom layer the user gave under that name wins over the operation, as over a built-in.
  const found = resolveObject("layer", [ref.registeredName, ref.className], full);
  const isCustom = found !== undefined && found.source !== "builtin";
  const operationModule = operationModuleOf(ref.module, ref.className, ref.config);
  if (operationModule !== undefined && !isCustom) return new KerasOperation(operationModule, ref.className, ref.config);
  // A Keras layer (not a custom one standing in for it) whose config is Keras 1's: say so, not "unknown key".
  if (
    (found === undefined || found.source === "builtin") &&
    (builtinLayer(ref.className) !== undefined || kerasLayerNames.has(ref.className))
  ) {
    refuseKeras1Config(ref.className, ref.config, ref.config.name);
  }
  const cls = layerClass(ref.className, ref.registeredName, full, ref.module);
  const config: JsonObject = ref.config;
  const layer = cls.fromConfig(config, full);
  // Keras builds a deserialized layer from its build_config at once, outside any enclosing
  // model's name scope: a loaded Sequential's weights are `dense/kernel`, not
  // `sequential/dense/kernel` as when it was first built.
  if (
    isJsonObject(json) &&
    isJsonObject(json.build_config) &&
    Array.isArray(json.build_config.input_shape) &&
    !layer.built
  ) {
    layer.maybeBuild(json.build_config.input_shape as Shape | Shape[]);
  }
  // A model's envelope carries its compile information beside its config.
  if (isJsonObject(json) && isJsonObject(json.compile_config) && "compileConfig" in layer) {
    (layer as { compileConfig: JsonObject }).compileConfig = json.compile_config;
  }
  return layer;
}
