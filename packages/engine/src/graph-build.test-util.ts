// Test helper: a functional model written as a table of named layers (each a Keras class name,
// its config, and the names of its inputs; without names, the previous layer's output).
// Through the engine's entry: it installs the built-in layer classes.
import { Input, type KerasTensor, type Layer, Model, deserializeLayer } from "./index.js";

export type Spec = [cls: string, config: Record<string, unknown>, inputs?: string[]];

/** A functional model of `specs` (each named; inputs by name, else the previous layer) and its layers by name. */
export function buildGraph(input: number[], specs: Record<string, Spec>): { model: Model; layers: Map<string, Layer> } {
  const x = Input({ shape: input });
  const made = new Map<string, KerasTensor>([["input", x]]);
  const layers = new Map<string, Layer>();
  let last: KerasTensor = x;
  for (const [name, [cls, config, inputs]] of Object.entries(specs)) {
    const layer = deserializeLayer({ class_name: cls, config: { ...config, name } } as never, {}) as Layer;
    const from = inputs?.map((n) => made.get(n)!) ?? [last];
    last = layer.apply(from.length === 1 ? from[0]! : from) as KerasTensor;
    made.set(name, last);
    layers.set(name, layer);
  }
  return { model: new Model({ inputs: x, outputs: last }), layers };
}
