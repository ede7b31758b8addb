// The tfjs-layers side of the training benchmark, with no engine import: the model of a
// workload built with tfjs-layers, and the workload's data, for whichever tfjs-core instance
// runs it (the benchmark's process, or the stock child of ./training-stock-child.ts).
import { readFileSync, writeFileSync } from "node:fs";
import type * as tfc from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { Workload } from "./workloads.js";

export const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const factory = (cls: string) =>
  cls === cls.toUpperCase() ? cls.toLowerCase() : cls[0]!.toLowerCase() + cls.slice(1).replace(/(\d)D$/, "$1d");

export function layersModel(w: Workload): tfl.LayersModel {
  const input = tfl.input({ shape: w.input, dtype: w.vocab === undefined ? "float32" : "int32" });
  const made = new Map<string, tfl.SymbolicTensor>();
  let last = input;
  for (const l of w.layers) {
    const from = l.inputs?.map((n) => made.get(n)!) ?? [last];
    // tfjs-layers's Orthogonal initializer needs tfjs's chained-op API, absent here; the weights
    // are ours anyway (set below).
    const init = ["LSTM", "GRU", "SimpleRNN"].includes(l.cls) ? { recurrent_initializer: "zeros" } : {};
    const config = {
      ...Object.fromEntries(
        Object.entries({ ...l.config, ...init }).map(([k, v]) => [camel(k), typeof v === "string" ? camel(v) : v]),
      ),
      name: `tfl_${l.name}`,
    };
    const make = (tfl.layers as unknown as Record<string, (c: unknown) => tfl.layers.Layer>)[factory(l.cls)];
    if (make === undefined) throw new Error(`tfjs-layers has no ${factory(l.cls)} layer`);
    last = make(config).apply(from.length === 1 ? from[0]! : from) as tfl.SymbolicTensor;
    made.set(l.name, last);
  }
  return tfl.model({ inputs: input, outputs: last });
}

/** The epoch's inputs and labels: seeded uniform floats (or ids below the vocabulary), one-hot or 0/1 labels. */
export function workloadData(tf: typeof tfc, w: Workload): { x: tfc.Tensor; y: tfc.Tensor } {
  const n = w.batch * w.steps;
  const x =
    w.vocab === undefined
      ? tf.randomUniform([n, ...w.input], 0, 1, "float32", 1)
      : tf.randomUniform([n, ...w.input], 0, w.vocab, "int32", 1);
  const labels = tf.randomUniform([n], 0, w.classes === 1 ? 2 : w.classes, "int32", 2) as tfc.Tensor1D;
  const y =
    w.classes === 1 ? tf.cast(tf.reshape(labels, [n, 1]), "float32") : tf.cast(tf.oneHot(labels, w.classes), "float32");
  return { x, y };
}

/** The key matching a tfjs-layers weight to the engine's (`layer/weight`, the `tfl_` prefix dropped). */
export function tflWeightKey(layer: { name: string }, weight: { originalName: string }): string {
  return `${layer.name.replace(/^tfl_/, "")}/${weight.originalName.split("/").pop()}`;
}

/**
 * Weights handed from the benchmark's process to the stock child: `path.json` lists each
 * weight's key and shape, `path.bin` holds their float32 values in that order.
 */
export interface SharedWeight {
  key: string;
  shape: number[];
}

export function writeSharedWeights(path: string, weights: { key: string; shape: number[]; values: Float32Array }[]) {
  writeFileSync(`${path}.json`, JSON.stringify(weights.map(({ key, shape }) => ({ key, shape }))));
  const bytes = new Uint8Array(weights.reduce((a, w) => a + w.values.byteLength, 0));
  let at = 0;
  for (const w of weights) {
    bytes.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength), at);
    at += w.values.byteLength;
  }
  writeFileSync(`${path}.bin`, bytes);
}

/** Sets a tfjs-layers model's weights from {@link writeSharedWeights}'s files (every weight must match). */
export function readSharedWeights(tf: typeof tfc, model: tfl.LayersModel, path: string): void {
  const list = JSON.parse(readFileSync(`${path}.json`, "utf8")) as SharedWeight[];
  const bin = readFileSync(`${path}.bin`);
  const byKey = new Map<string, tfc.Tensor>();
  let at = 0;
  for (const w of list) {
    const size = w.shape.reduce((a, d) => a * d, 1);
    const values = new Float32Array(bin.buffer.slice(bin.byteOffset + at, bin.byteOffset + at + size * 4));
    byKey.set(w.key, tf.tensor(values, w.shape, "float32"));
    at += size * 4;
  }
  // tfjs-layers lists trainable weights first: match by layer name and weight attribute.
  const keyOf = new Map(model.layers.flatMap((l) => l.weights.map((lv) => [lv, tflWeightKey(l, lv)] as const)));
  model.setWeights(
    model.weights.map((lv) => {
      const t = byKey.get(keyOf.get(lv) ?? "");
      if (t === undefined || t.shape.join("x") !== lv.shape.join("x"))
        throw new Error(`no shared weight matches tfjs-layers's ${lv.originalName} [${lv.shape}]`);
      return t;
    }),
  );
  tf.dispose([...byKey.values()]);
}
