// TF checkpoint write and read (CRC32C verified) of a 1 GiB checkpoint against fs.writeFile /
// fs.readFile of the same bytes, measured in the same run.
import { mkdirSync, rmSync } from "node:fs";
import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Checkpoint, type CheckpointObject, loadCheckpoint, variable } from "@kerastore/checkpoint";
import { hostTensor } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { medianMs, scratchDir, writeBenchSection } from "./report.js";

export async function run(): Promise<void> {
  const totalMiB = Number(process.env.CHECKPOINT_BENCH_MIB ?? 1024);
  const tensorMiB = 16;
  const count = Math.max(1, Math.floor(totalMiB / tensorMiB));
  const objects: Record<string, CheckpointObject> = {};
  const views: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Float32Array((tensorMiB * 2 ** 20) / 4);
    for (let j = 0; j < data.length; j += 1021) data[j] = i + j;
    objects[`layer_${String(i).padStart(3, "0")}`] = variable(`layer_${i}/kernel`, hostTensor("float32", [data.length / 1024, 1024], data));
    views.push(new Uint8Array(data.buffer));
  }
  const bytes = count * tensorMiB * 2 ** 20;
  const dir = scratchDir();
  mkdirSync(dir, { recursive: true });
  const store = new NodeStore(dir);
  const ckpt = new Checkpoint(store, objects);
  const rawPath = join(dir, "raw.bin");

  const writeMs = await medianMs(() => ckpt.write("ckpt"), 3);
  const rawWriteMs = await medianMs(() => writeFile(rawPath, views), 3);
  // The store makes writes durable (fsync before rename); the same for the raw bytes.
  const rawWriteSyncMs = await medianMs(async () => {
    const handle = await open(rawPath, "w");
    for (const v of views) await handle.write(v);
    await handle.sync();
    await handle.close();
  }, 3);
  let checked = 0;
  const readMs = await medianMs(async () => {
    const reader = await loadCheckpoint(store, "ckpt");
    checked = 0;
    for await (const [, tensor] of reader.getTensors()) checked += tensor.shape.length > 0 ? 1 : 0;
  }, 3);
  const rawReadMs = await medianMs(() => readFile(rawPath), 3);
  rmSync(dir, { recursive: true, force: true });
  if (checked !== count) throw new Error(`read ${checked} tensors, expected ${count}`);

  const gib = bytes / 2 ** 30;
  const rate = (ms: number) => `${((bytes / 2 ** 20) / (ms / 1000)).toFixed(0)} MiB/s`;
  const rows = [
    `| write (Checkpoint.write, NodeStore: temp file, fsync, rename) | ${writeMs.toFixed(0)} ms | ${rate(writeMs)} |`,
    `| raw fs.writeFile of the same bytes (no fsync) | ${rawWriteMs.toFixed(0)} ms | ${rate(rawWriteMs)} |`,
    `| raw write + fsync of the same bytes | ${rawWriteSyncMs.toFixed(0)} ms | ${rate(rawWriteSyncMs)} |`,
    `| read (loadCheckpoint + getTensors of every key, CRC32C verified) | ${readMs.toFixed(0)} ms | ${rate(readMs)} |`,
    `| raw fs.readFile of the same bytes | ${rawReadMs.toFixed(0)} ms | ${rate(rawReadMs)} |`,
  ];
  const writeRatio = writeMs / rawWriteMs;
  const writeSyncRatio = writeMs / rawWriteSyncMs;
  const readRatio = readMs / rawReadMs;
  const markdown = [
    `### TF checkpoint (${gib.toFixed(2)} GiB: ${count} float32 tensors of ${tensorMiB} MiB)`,
    "",
    "| operation | median of 3 | throughput |",
    "| --- | --- | --- |",
    ...rows,
    "",
    `Write: **${writeRatio.toFixed(2)}x** raw \`fs.writeFile\` (${writeSyncRatio.toFixed(2)}x raw write + fsync, the same durability). ` +
      `Read: **${readRatio.toFixed(2)}x** raw \`fs.readFile\`. Target: at most 1.5x.`,
  ].join("\n");
  console.log(markdown);
  writeBenchSection("checkpoint", markdown);
}
