import { mkdtempSync, promises as fs, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SavedModelData, type SavedNode, hostTensor } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { readKerasArchive, writeKerasArchive, writeKerasArchiveTo } from "@kerastore/keras-v3";
import { medianMs, writeBenchSection } from "./report.js";

/** A Sequential of four 5000x5000 Dense layers: 100,020,000 float32 parameters (~400 MB). */
function bigModel(): SavedModelData {
  const layers: SavedNode[] = [];
  const configs = [];
  for (let i = 0; i < 4; i++) {
    const name = i === 0 ? "dense" : `dense_${i}`;
    const kernel = new Float32Array(5000 * 5000);
    for (let k = 0; k < kernel.length; k += 97) kernel[k] = (k % 1000) / 1000;
    const config = { name, units: 5000, activation: "linear", use_bias: true };
    configs.push({ module: "keras.layers", class_name: "Dense", config, registered_name: null });
    layers.push({
      className: "Dense",
      name,
      config,
      variables: [
        { name: "kernel", path: `${name}/kernel`, trainable: true, value: hostTensor("float32", [5000, 5000], kernel) },
        {
          name: "bias",
          path: `${name}/bias`,
          trainable: true,
          value: hostTensor("float32", [5000], new Float32Array(5000)),
        },
      ],
      children: [],
    });
  }
  const envelope = {
    module: "keras",
    class_name: "Sequential",
    config: { name: "big", layers: configs },
    registered_name: null,
  };
  return {
    root: {
      className: "Sequential",
      name: "big",
      config: envelope.config,
      variables: [],
      children: layers.map((node) => ({ name: node.name!, node })),
    },
    modelConfig: envelope,
  };
}

export async function run(): Promise<void> {
  // A private temp dir: the shared scratch dir is cleared by other benchmarks.
  const dir = mkdtempSync(join(tmpdir(), "kerastore-bench-keras-v3-"));
  const store = new NodeStore(dir);
  const data = bigModel();
  const bytes = await writeKerasArchive(data);
  const mb = bytes.byteLength / 2 ** 20;
  const runs = 3;
  const rawWrite = await medianMs(() => store.write("raw.bin", bytes), runs);
  const kerasWrite = await medianMs(() => writeKerasArchiveTo(store, "model.keras", data), runs);
  const rawRead = await medianMs(() => fs.readFile(join(dir, "raw.bin")), runs);
  const kerasRead = await medianMs(() => readKerasArchive(store, { path: "model.keras" }), runs);
  rmSync(dir, { recursive: true, force: true });
  const row = (what: string, ours: number, raw: number) =>
    `| ${what} | ${ours.toFixed(0)} | ${raw.toFixed(0)} | ${(ours / raw).toFixed(2)}x |`;
  const table = [
    `100M-parameter model (4 x Dense 5000x5000), archive ${mb.toFixed(0)} MB, median of ${runs}.`,
    "",
    "| operation | .keras ms | raw bytes ms | ratio |",
    "| --- | --- | --- | --- |",
    row("write (encode weights H5 + zip + atomic Store write) vs Store.write of the same bytes", kerasWrite, rawWrite),
    row("read (Store + zip checks + CRC + H5 decode) vs fs.readFile", kerasRead, rawRead),
  ].join("\n");
  console.log(table);
  writeBenchSection("keras-v3", table);
}
