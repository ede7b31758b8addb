import { type Registry, builtinRegistry } from "@kerastore/registry";
import type { LayerClass } from "./layer.js";
import { LeakyReLU, ReLU, Softmax } from "./layers/activation-layers.js";
import { ActivationLayer, Dropout, Flatten, Identity, Reshape, Rescaling } from "./layers/core.js";
import { Dense } from "./layers/dense.js";
import { extraLayerClasses } from "./layers/extra-builtins.js";
import { InputLayer } from "./layers/input-layer.js";
import { Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract } from "./layers/merge.js";
import { Model } from "./model.js";
import { Sequential } from "./sequential.js";

/** Every built-in layer and model class, by its Keras class name (and older Keras aliases). */
export function builtinLayerClasses(): Map<string, LayerClass> {
  const classes = [
    InputLayer,
    Dense,
    Dropout,
    ActivationLayer,
    Flatten,
    Reshape,
    Identity,
    Rescaling,
    ReLU,
    LeakyReLU,
    Softmax,
    Add,
    Subtract,
    Multiply,
    Average,
    Maximum,
    Minimum,
    Concatenate,
    Model,
    Sequential,
  ] as unknown as LayerClass[];
  const map = new Map<string, LayerClass>(classes.map((c) => [c.className, c]));
  // Names other Keras versions write for the same classes.
  map.set("Model", Model as unknown as LayerClass);
  map.set("Functional", Model as unknown as LayerClass);
  return extraLayerClasses(map);
}

const installed = new WeakSet<Registry>();

/**
 * Registers the engine's built-in layer and model classes (by Keras class name and the aliases
 * older Keras versions wrote) into `registry`, the registry's built-in table by default.
 * Idempotent; the engine's entry point calls it, so users never have to. A new layer class is
 * one line in the list of `builtinLayerClasses` (or `extraLayerClasses`).
 */
export function installBuiltins(registry: Registry = builtinRegistry): Registry {
  if (installed.has(registry)) return registry;
  for (const [name, cls] of builtinLayerClasses()) {
    const model = cls === (Model as unknown as LayerClass) || cls === (Sequential as unknown as LayerClass);
    registry.register(name, cls as never, {
      kind: "layer",
      module: model ? "keras" : "keras.layers",
      className: cls.className,
      registeredName: null,
    });
  }
  installed.add(registry);
  return registry;
}
