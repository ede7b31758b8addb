// Legacy H5 write and read of a ~100M-parameter model against fs.writeFile / fs.readFile of the
// same bytes, plus peak memory (RSS and ArrayBuffers) against the weight bytes.
import { mkdirSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { SavedModelData, SavedNode } from "@kerastore/core";
// @kerastore/h5 is not yet a dependency of the bench package (packages/bench/package.json is not ours to edit).
import { readKerasH5, writeLegacyH5 } from "@kerastore/h5";
import { medianMs, scratchDir, writeBenchSection } from "./report.js";

function model(params: number, layers: number): SavedModelData {
  const per = Math.floor(params / layers / 1024);
  const children = Array.from({ length: layers }, (_, i): { name: string; node: SavedNode } => {
    const data = new Float32Array(per * 1024);
    for (let j = 0; j < data.length; j += 997) data[j] = i + j;
    return {
      name: `dense_${i}`,
      node: {
        className: "Dense",
        name: `dense_${i}`,
        variables: [{ name: "kernel", path: `dense_${i}/kernel`, trainable: true, value: { dtype: "float32", shape: [per, 1024], data } }],
        children: [],
      },
    };
  });
  return { root: { className: "Sequential", name: "big", variables: [], children }, modelConfig: { class_name: "Sequential", config: { name: "big", layers: [] } } };
}

const mb = (n: number) => (n / 2 ** 20).toFixed(0);

export async function run(): Promise<void> {
  const params = Number(process.env.H5_BENCH_PARAMS ?? 100_000_000);
  const data = model(params, 50);
  const weightBytes = data.root.children.reduce((s, e) => s + (e.node.variables[0]!.value.data as Float32Array).byteLength, 0);
  const dir = scratchDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "h5-bench.h5");
  let peakRss = 0;
  let peakBuffers = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
  };
  const timer = setInterval(sample, 5);
  global.gc?.();
  sample();
  const base = process.memoryUsage();
  let bytes: Uint8Array = new Uint8Array(0);
  const writeMs = await medianMs(async () => {
    bytes = await writeLegacyH5(data);
    await writeFile(path, bytes);
  }, 3);
  const fsWriteMs = await medianMs(() => writeFile(path, bytes), 3);
  const readMs = await medianMs(async () => {
    await readKerasH5(await readFile(path), { name: path });
  }, 3);
  const fsReadMs = await medianMs(() => readFile(path), 3);
  clearInterval(timer);
  sample();
  rmSync(path, { force: true });
  const rssOver = peakRss - base.rss;
  const buffersOver = peakBuffers - base.arrayBuffers;
  const table = [
    `Legacy H5 of ${(params / 1e6).toFixed(0)}M float32 parameters in 50 layers (${mb(weightBytes)} MB of weights, file ${mb(bytes.byteLength)} MB).`,
    "",
    "| step | kerastore (ms) | fs baseline (ms) | ratio |",
    "| --- | ---: | ---: | ---: |",
    `| write (writeLegacyH5 + fs.writeFile) | ${writeMs.toFixed(0)} | ${fsWriteMs.toFixed(0)} | ${(writeMs / fsWriteMs).toFixed(2)} |`,
    `| read (fs.readFile + readKerasH5) | ${readMs.toFixed(0)} | ${fsReadMs.toFixed(0)} | ${(readMs / fsReadMs).toFixed(2)} |`,
    "",
    `Peak memory above the start (weights already built): RSS +${mb(rssOver)} MB (${(rssOver / weightBytes).toFixed(2)}x the weight bytes), ArrayBuffers +${mb(buffersOver)} MB (${(buffersOver / weightBytes).toFixed(2)}x). The WebAssembly heap of h5wasm (2 GB maximum) grows to the largest dataset and never shrinks; it counts in RSS and ArrayBuffers.`,
  ].join("\n");
  console.log(table);
  writeBenchSection("h5", table);
}
