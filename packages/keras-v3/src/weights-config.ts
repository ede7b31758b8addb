import { type JsonObject, type JsonValue, type SavedNode, childOf, isJsonObject } from "@kerastore/core";

const MAX_DEPTH = 64;

/**
 * Gives the nodes of a tree read from a `.weights.h5` what only `config.json` knows: each
 * model's and layer's class and config (matched by layer name, which the `vars` groups
 * record), the optimizer's class and config from `compile_config`, and each model's layer
 * edges in `model.layers` order (the file lists them sorted by walk key).
 */
export function attachConfig(root: SavedNode, envelope: JsonObject): void {
  attachObject(root, envelope, 0);
  const optimizer = childOf(root, "optimizer");
  const compile = envelope.compile_config;
  if (optimizer !== undefined && isJsonObject(compile) && isJsonObject(compile.optimizer)) {
    const opt = compile.optimizer;
    if (typeof opt.class_name === "string") optimizer.className = opt.class_name;
    if (isJsonObject(opt.config)) {
      optimizer.config = opt.config;
      if (typeof opt.config.name === "string") optimizer.name ??= opt.config.name;
    }
  }
}

function attachObject(node: SavedNode, envelope: JsonObject, depth: number): void {
  if (depth > MAX_DEPTH) return;
  if (typeof envelope.class_name === "string") node.className = envelope.class_name;
  const config = envelope.config;
  if (!isJsonObject(config)) return;
  node.config = config;
  if (typeof config.name === "string") node.name ??= config.name;
  const layers = config.layers;
  if (Array.isArray(layers)) {
    attachLayers(node, layers, depth);
    return;
  }
  // A plain layer's children are attributes (`cell`, `forward_layer`): edges keep the
  // attribute name the walk path used, whatever the child's own name.
  for (const edge of node.children) {
    const key = edge.node.extras?.keras3Key;
    if (typeof key === "string") edge.name = key;
  }
}

function attachLayers(node: SavedNode, layers: JsonValue[], depth: number): void {
  const order = new Map<string, number>();
  const byName = new Map<string, JsonObject>();
  layers.forEach((layer, i) => {
    if (!isJsonObject(layer)) return;
    const name = isJsonObject(layer.config) && typeof layer.config.name === "string" ? layer.config.name : layer.name;
    if (typeof name !== "string" || byName.has(name)) return;
    byName.set(name, layer);
    order.set(name, i);
  });
  for (const edge of node.children) {
    if (edge.name === "optimizer" && edge.node.className !== "Layer" && edge.node.className !== "Model") continue;
    // The vars group's `name` attribute is the layer's name; edges are named by it.
    const name = edge.node.name ?? edge.name;
    const layer = byName.get(name);
    if (layer === undefined) continue;
    edge.name = name;
    attachObject(edge.node, layer, depth + 1);
  }
  // Layers in config order, then anything the config does not list, then the optimizer.
  const rank = (name: string) => (name === "optimizer" ? Number.MAX_SAFE_INTEGER : (order.get(name) ?? layers.length));
  node.children = node.children
    .map((edge, i) => ({ edge, i }))
    .sort((a, b) => rank(a.edge.name) - rank(b.edge.name) || a.i - b.i)
    .map((x) => x.edge);
}
