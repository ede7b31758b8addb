import { formatShape } from "@kerastore/core";
import type { Layer } from "./layer.js";
import type { Model } from "./model.js";
import type { LayerNode } from "./symbolic.js";

/** Options of {@link summary}. */
export interface SummaryOptions {
  /**
   * Total width of the table. Keras uses its default (88 or 108) capped by the terminal width
   * minus 4; 76 is what it prints into a pipe or an 80-column terminal, and the default here.
   */
  readonly lineLength?: number | undefined;
  /**
   * The optimizer's variables, when it is built: Keras then adds an "Optimizer params" line
   * and counts them in the total.
   */
  readonly optimizerVariables?: readonly { readonly shape: readonly number[]; readonly dtype: string }[] | undefined;
}

/**
 * Keras 3's `model.summary()` table as text, drawn the way rich draws it into a pipe.
 *
 * The layout (column positions, rich's width reduction and word wrapping) follows Keras 3.15
 * with rich 14; differences are listed in docs/engine.md.
 */
export function summary(model: Model, options: SummaryOptions = {}): string {
  const { sequentialLike, layers, nodes } = shapeOf(model);
  const lineLength = options.lineLength ?? Math.min(sequentialLike ? 88 : 108, 76);
  const positions = sequentialLike ? [0.45, 0.8, 1.0] : [0.3, 0.56, 0.74, 1.0];
  const header = sequentialLike
    ? ["Layer (type)", "Output Shape", "Param #"]
    : ["Layer (type)", "Output Shape", "Param #", "Connected to"];
  const right = [false, false, true, false];
  const requested: number[] = [];
  let current = 0;
  for (const p of positions) {
    const w = Math.trunc(p * lineLength) - current;
    requested.push(w + 2);
    current += w;
  }
  const excess = requested.reduce((a, b) => a + b, 0) + requested.length + 1 - lineLength;
  const widths = excess > 0 ? ratioReduce(excess, requested) : requested;
  const inner = widths.map((w) => w - 2);

  const rule = (l: string, fill: string, mid: string, r: string) => l + widths.map((w) => fill.repeat(w)).join(mid) + r;
  const row = (cells: string[], bar: string): string[] => {
    const wrapped = cells.map((c, i) => wrap(c, inner[i]!));
    const height = Math.max(...wrapped.map((w) => w.length));
    const lines: string[] = [];
    for (let k = 0; k < height; k++) {
      const parts = wrapped.map((w, i) => {
        const text = w[k] ?? "";
        return ` ${right[i] ? text.padStart(inner[i]!) : text.padEnd(inner[i]!)} `;
      });
      lines.push(bar + parts.join(bar) + bar);
    }
    return lines;
  };

  const out: string[] = [
    `Model: "${model.name}"`,
    rule("┏", "━", "┳", "┓"),
    ...row(header, "┃"),
    rule("┡", "━", "╇", "┩"),
  ];
  layers.forEach((layer, i) => {
    if (i > 0) out.push(rule("├", "─", "┼", "┤"));
    const cells = [
      `${layer.name} (${layer.className})`,
      outputShapeText(layer),
      layer.built ? layer.countParams().toLocaleString("en-US") : "0 (unbuilt)",
    ];
    if (!sequentialLike) cells.push(connections(layer, nodes));
    out.push(...row(cells, "│"));
  });
  out.push(rule("└", "─", "┴", "┘"));
  const trainable = model.trainableWeights;
  const nonTrainable = model.nonTrainableWeights;
  const optimizer = options.optimizerVariables;
  const count = (vs: readonly Sized[]) => vs.reduce((n, v) => n + v.shape.reduce((a, b) => a * b, 1), 0);
  const bytes = (vs: readonly Sized[]) =>
    vs.reduce((n, v) => n + v.shape.reduce((a, b) => a * b, 1) * bytesPer(v.dtype), 0);
  const total = [...trainable, ...nonTrainable, ...(optimizer ?? [])];
  const line = (label: string, vs: readonly Sized[]) =>
    ` ${label}: ${count(vs).toLocaleString("en-US")} (${readableSize(bytes(vs))})`;
  out.push(
    line("Total params", total),
    line("Trainable params", trainable),
    line("Non-trainable params", nonTrainable),
  );
  if (optimizer !== undefined) out.push(line("Optimizer params", optimizer));
  return `${out.join("\n")}\n`;
}

interface Sized {
  readonly shape: readonly number[];
  readonly dtype: string;
}

function shapeOf(model: Model): { sequentialLike: boolean; layers: Layer[]; nodes: ReadonlySet<LayerNode> } {
  const nodes = model.networkNodes;
  if (model.isSequential || !model.isFunctional) return { sequentialLike: true, layers: model.layers, nodes };
  const layers = model.layers;
  // Keras calls a functional model sequential-like when each depth has one node with one
  // input tensor, and no layer is called twice.
  let sequentialLike = true;
  for (const node of nodes) if (node.inputs.length > 1) sequentialLike = false;
  for (const layer of layers) if (layer.inboundNodes.filter((n) => nodes.has(n)).length > 1) sequentialLike = false;
  const consumers = new Map<LayerNode, number>();
  for (const node of nodes) {
    for (const t of node.inputs) {
      const parent = t.history.layer.inboundNodes[t.history.nodeIndex]!;
      consumers.set(parent, (consumers.get(parent) ?? 0) + 1);
    }
  }
  for (const n of consumers.values()) if (n > 1) sequentialLike = false;
  if (model.inputs.length > 1 || model.outputs.length > 1) sequentialLike = false;
  return { sequentialLike, layers, nodes };
}

function outputShapeText(layer: Layer): string {
  const node = layer.inboundNodes[layer.inboundNodes.length - 1];
  if (node === undefined) return "?";
  const shapes = node.outputs.map((t) => formatShape(t.shape));
  return shapes.length === 1 ? shapes[0]! : `[${shapes.join(", ")}]`;
}

function connections(layer: Layer, nodes: ReadonlySet<LayerNode>): string {
  const parts: string[] = [];
  for (const node of layer.inboundNodes) {
    if (!nodes.has(node)) continue;
    for (const t of node.inputs)
      parts.push(`${t.history.layer.name}[${t.history.nodeIndex}][${t.history.tensorIndex}]`);
  }
  return parts.length === 0 ? "-" : parts.join(", ");
}

function bytesPer(dtype: string): number {
  return dtype === "float16" || dtype === "bfloat16"
    ? 2
    : dtype === "bool" || dtype === "int8" || dtype === "uint8"
      ? 1
      : dtype.endsWith("64")
        ? 8
        : 4;
}

/** Keras's `readable_memory_size`: `1.00 KB`, `300.00 B`. */
export function readableSize(size: number): string {
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let s = size;
  for (const unit of units) {
    if (s / 1024 < 1) return `${s.toFixed(2)} ${unit}`;
    s /= 1024;
  }
  return `${s.toFixed(2)} PB`;
}

// Python's round(): halves go to the even neighbour.
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

// rich's ratio_reduce with equal ratios: takes `total` off the columns, spread evenly.
function ratioReduce(total: number, values: number[]): number[] {
  let remaining = total;
  let ratio = values.length;
  return values.map((v) => {
    const take = Math.min(v, roundHalfEven(remaining / ratio));
    remaining -= take;
    ratio -= 1;
    return v - take;
  });
}

// Greedy word wrap as rich does it: break at spaces, fold words longer than the width.
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    let w = word;
    if (w.length === 0 && line.length === 0 && lines.length > 0) continue;
    if (line.length > 0 && line.length + 1 + w.length <= width) {
      line += ` ${w}`;
      continue;
    }
    if (line.length > 0) lines.push(line);
    line = "";
    // rich's default overflow: a word wider than the column is cut with an ellipsis.
    if (w.length > width) {
      lines.push(`${w.slice(0, width - 1)}…`);
      w = "";
    }
    line = w;
  }
  if (line.length > 0 || lines.length === 0) lines.push(line);
  return lines;
}
