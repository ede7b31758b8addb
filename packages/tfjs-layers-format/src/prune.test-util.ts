// Test helper: the part of a multi-output Functional fixture tfjs-layers can read. A layer
// family fixture puts many variants side by side, each on its own output; the variants
// tfjs-layers has no equivalent for (named by the writer's refusal) are cut out with every
// layer and output that depends on them, and the rest is written and checked.
import type { JsonObject, JsonValue } from "@kerastore/core";
import { isJsonObject } from "@kerastore/core";

/** The layer names a layer's inbound nodes read from (`keras_history` / Keras 2 node lists). */
function sources(layer: JsonObject): string[] {
  const found: string[] = [];
  const visit = (v: JsonValue): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x);
    } else if (isJsonObject(v)) {
      const h = v["keras_history"];
      if (Array.isArray(h) && typeof h[0] === "string") found.push(h[0]);
      for (const x of Object.values(v)) visit(x);
    }
  };
  visit(layer["inbound_nodes"] ?? []);
  return found;
}

/** The config without `drop` and what depends on them; `kept` gives the original index of each output kept. */
export function pruneFunctional(
  envelope: JsonObject,
  drop: ReadonlySet<string>,
): { config: JsonObject; kept: number[] } {
  const config = envelope["config"] as JsonObject;
  const layers = config["layers"] as JsonObject[];
  if (envelope["class_name"] === "Sequential") {
    // Only layers that are identities at inference (Random*) are ever dropped from a Sequential.
    const kept = layers.filter((l) => !drop.has((l["config"] as JsonObject)["name"] as string));
    return { config: { ...envelope, config: { ...config, layers: kept } }, kept: [0] };
  }
  const removed = new Set(drop);
  for (const layer of layers) {
    const name = layer["name"] as string;
    if (sources(layer).some((s) => removed.has(s))) removed.add(name);
  }
  const refs = config["output_layers"] as JsonValue[];
  const outputs = (typeof refs[0] === "string" ? [refs] : refs) as JsonValue[][];
  const kept = outputs.flatMap((ref, i) => (removed.has(ref[0] as string) ? [] : [i]));
  const pruned: JsonObject = {
    ...config,
    layers: layers.filter((l) => !removed.has(l["name"] as string)),
    output_layers: kept.map((i) => outputs[i]!),
  };
  return { config: { ...envelope, config: pruned }, kept };
}
