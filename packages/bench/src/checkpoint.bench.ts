// TF checkpoint write and read (CRC32C verified) of a 1 GiB checkpoint against fs.writeFile /
// fs.readFile of the same bytes, measured in the same run.
//
// Rounds interleave ours and the baseline. Before each timed write, the previous output is
// removed and the page cache flushed (`sync`), untimed, so neither side pays for the other's
// dirty pages or for freeing the blocks of the file it replaces.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Checkpoint, type CheckpointObject, crc32cKernelName, loadCheckpoint, variable } from "@kerastore/checkpoint";
import { hostTensor } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { scratchDir, writeBenchSection } from "./report.js";

export async function run(): Promise<void> {
  const totalMiB = Number(process.env.CHECKPOINT_BENCH_MIB ?? 1024);
  const rounds = Number(process.env.CHECKPOINT_BENCH_ROUNDS ?? 7);
  const tensorMiB = 16;
  const count = Math.max(1, Math.floor(totalMiB / tensorMiB));
  const objects: Record<string, CheckpointObject> = {};
  const views: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const data = new Float32Array((tensorMiB * 2 ** 20) / 4);
    for (let j = 0; j < data.length; j += 1021) data[j] = i + j;
    objects[`layer_${String(i).padStart(3, "0")}`] = variable(
      `layer_${i}/kernel`,
      hostTensor("float32", [data.length / 1024, 1024], data),
    );
    views.push(new Uint8Array(data.buffer));
  }
  const bytes = count * tensorMiB * 2 ** 20;
  const dir = scratchDir();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = new NodeStore(dir);
  const ckpt = new Checkpoint(store, objects);
  const rawPath = join(dir, "raw.bin");

  const clean = (): void => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync("sync");
  };
  const timed = async (fn: () => Promise<unknown>): Promise<number> => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const ours = { write: [] as number[], read: [] as number[] };
  const raw = { write: [] as number[], writeSync: [] as number[], read: [] as number[] };
  let checked = 0;
  for (let r = 0; r < rounds; r++) {
    clean();
    ours.write.push(await timed(() => ckpt.write("ckpt")));
    clean();
    raw.write.push(await timed(() => writeFile(rawPath, views)));
    clean();
    // The store makes writes durable (fsync before rename); the same for the raw bytes.
    raw.writeSync.push(
      await timed(async () => {
        const handle = await open(rawPath, "w");
        for (const v of views) await handle.write(v);
        await handle.sync();
        await handle.close();
      }),
    );
    await ckpt.write("ckpt");
    execFileSync("sync");
    ours.read.push(
      await timed(async () => {
        const reader = await loadCheckpoint(store, "ckpt");
        checked = 0;
        for await (const [, tensor] of reader.getTensors()) checked += tensor.shape.length > 0 ? 1 : 0;
      }),
    );
    raw.read.push(await timed(() => readFile(rawPath)));
  }
  rmSync(dir, { recursive: true, force: true });
  if (checked !== count) throw new Error(`read ${checked} tensors, expected ${count}`);

  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const writeMs = median(ours.write);
  const rawWriteMs = median(raw.write);
  const rawWriteSyncMs = median(raw.writeSync);
  const readMs = median(ours.read);
  const rawReadMs = median(raw.read);
  const gib = bytes / 2 ** 30;
  const rate = (ms: number) => `${(bytes / 2 ** 20 / (ms / 1000)).toFixed(0)} MiB/s`;
  const all = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");
  const rows = [
    `| write (Checkpoint.write, NodeStore: temp file, fsync, rename) | ${writeMs.toFixed(0)} ms | ${rate(writeMs)} | ${all(ours.write)} |`,
    `| raw fs.writeFile of the same bytes (no fsync) | ${rawWriteMs.toFixed(0)} ms | ${rate(rawWriteMs)} | ${all(raw.write)} |`,
    `| raw write + fsync of the same bytes | ${rawWriteSyncMs.toFixed(0)} ms | ${rate(rawWriteSyncMs)} | ${all(raw.writeSync)} |`,
    `| read (loadCheckpoint + getTensors of every key, CRC32C verified) | ${readMs.toFixed(0)} ms | ${rate(readMs)} | ${all(ours.read)} |`,
    `| raw fs.readFile of the same bytes | ${rawReadMs.toFixed(0)} ms | ${rate(rawReadMs)} | ${all(raw.read)} |`,
  ];
  const markdown = [
    `### TF checkpoint (${gib.toFixed(2)} GiB: ${count} float32 tensors of ${tensorMiB} MiB, CRC32C kernel: ${crc32cKernelName()})`,
    "",
    `${rounds} interleaved rounds; before each timed write the previous output is removed and the page cache flushed, untimed.`,
    "",
    `| operation | median | throughput | every round (ms) |`,
    "| --- | --- | --- | --- |",
    ...rows,
    "",
    `Write: **${(writeMs / rawWriteMs).toFixed(2)}x** raw \`fs.writeFile\` (${(writeMs / rawWriteSyncMs).toFixed(2)}x raw write + fsync, the same durability). ` +
      `Read: **${(readMs / rawReadMs).toFixed(2)}x** raw \`fs.readFile\`. Target: at most 1.5x.`,
  ].join("\n");
  console.log(markdown);
  writeBenchSection("checkpoint", markdown);
}
