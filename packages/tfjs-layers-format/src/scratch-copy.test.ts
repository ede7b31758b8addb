import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type HostTensor,
  type RandomAccessSource,
  type SavedVariable,
  hostTensor,
  pendingTensor,
} from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { realworld } from "@kerastore/fixtures";
import { builtinFormats, createFormatRegistry } from "kerastore";
import { afterAll, describe, expect, it } from "vitest";
import { writeNewTfjsDirectory } from "./node-directory.js";
import { kerastoreFormats, tfjsLayersFormat } from "./node.js";
import { TFJS_REALWORLD } from "./realworld-status.test-util.js";
import { type PlannedWeight, cutShards } from "./weight-stream.js";
import type { TfjsArtifacts } from "./write-model.js";

// The weights that lie in the source file as they go into the shards (a lazily read float32 /
// int32 dataset of a file held open) are copied file -> one reused buffer -> shard file, with no
// buffer per weight (CopyPiece, writeShardPieces). These tests check the path is taken and that
// the reused buffer is never written out twice or overwritten before it is written.
const work = fs.mkdtempSync(join(tmpdir(), "kerastore-tfjs-scratch-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Deterministic bytes, different for every weight. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

interface Counting {
  copies: number;
  copiedBytes: number;
}

/**
 * Weights of many sizes (1 element to 2.5 MiB, beyond the 1 MiB scratch buffer): every third
 * one held in memory, the others PendingTensors whose `load` must not be called and whose
 * `readBytesInto` copies from their bytes (as a file held open does).
 */
function weights(count: Counting): { plan: PlannedWeight[]; bytes: Uint8Array } {
  const sizes = [1, 3, 17, 250, 1024, 4096, 65_537, 262_144, 655_360, 7, 2, 0, 100_003, 33, 1, 999];
  for (let i = 0; i < 40; i++) sizes.push(((i * 7919) % 5000) + 1);
  sizes.push(655_360, 1);
  const plan: PlannedWeight[] = [];
  const all: Uint8Array[] = [];
  for (const [i, elements] of sizes.entries()) {
    const bytes = noise(elements * 4, i + 1);
    all.push(bytes);
    const where = `weight ${i}`;
    const value: HostTensor =
      i % 3 === 2
        ? hostTensor("float32", [elements], new Float32Array(bytes.buffer))
        : pendingTensor(
            "float32",
            [elements],
            bytes.byteLength,
            where,
            async () => {
              throw new Error(`${where} was loaded: the copy path was not taken`);
            },
            (target, start) => {
              count.copies++;
              count.copiedBytes += target.byteLength;
              target.set(bytes.subarray(start, start + target.byteLength));
            },
          );
    const variable: SavedVariable = { name: `w${i}`, path: `w${i}`, trainable: true, value };
    plan.push({
      entry: { name: `w${i}`, shape: [elements], dtype: "float32" },
      variable,
      quantize: undefined,
      byteLength: bytes.byteLength,
    });
  }
  const total = all.reduce((a, b) => a + b.byteLength, 0);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const b of all) {
    bytes.set(b, at);
    at += b.byteLength;
  }
  return { plan, bytes };
}

describe("weights copied through one reused buffer", () => {
  it.each([1000, 4099, 2 ** 20, 3 * 2 ** 20 + 7, 4 * 2 ** 20])(
    "give the shards the weights' bytes exactly, in order (shards of %i bytes)",
    async (shardSize) => {
      const count: Counting = { copies: 0, copiedBytes: 0 };
      const { plan, bytes } = weights(count);
      const shards = cutShards(plan, bytes.byteLength, shardSize, "web");
      const artifacts: TfjsArtifacts = { shards, weightBytes: bytes.byteLength, modelJson: () => ({}) };
      const out = `out-${shardSize}`;
      expect(await writeNewTfjsDirectory(new NodeStore(work), out, artifacts, { sync: false })).toBe(true);
      const copied = plan.filter((_, i) => i % 3 !== 2).reduce((a, w) => a + w.byteLength, 0);
      // Every byte of the pending weights was copied once (no load, no second copy).
      expect(count.copiedBytes).toBe(copied);
      const n = Math.ceil(bytes.byteLength / shardSize);
      for (let i = 0; i < n; i++) {
        const shard = new Uint8Array(fs.readFileSync(join(work, out, `group1-shard${i + 1}of${n}.bin`)));
        const want = bytes.subarray(i * shardSize, Math.min((i + 1) * shardSize, bytes.byteLength));
        // Compared as a whole: a region of the buffer written twice or reused too early shows here.
        expect(Buffer.compare(shard, want), `shard ${i + 1} of ${n}`).toBe(0);
      }
    },
  );

  it("give the same bytes as chunks of their own to a writer without a buffer (any store)", async () => {
    const count: Counting = { copies: 0, copiedBytes: 0 };
    const { plan, bytes } = weights(count);
    const shardSize = 300_001;
    const shards = cutShards(plan, bytes.byteLength, shardSize, "web");
    const got: Uint8Array[] = [];
    for (const shard of shards) {
      const held: Uint8Array[] = [];
      for await (const chunk of shard.chunks) held.push(chunk);
      // Every chunk is still intact once the whole shard is in: none shares a reused buffer.
      got.push(Buffer.concat(held));
    }
    expect(Buffer.compare(Buffer.concat(got), bytes)).toBe(0);
  });
});

/**
 * `@kerastore/h5`'s SyncReadableSource, as this package sees it (it does not depend on the h5
 * package: the reader finds the two methods on the source it is given).
 */
interface SyncReadableSource extends RandomAccessSource {
  readSync(offset: number, length: number): Uint8Array;
  readSyncInto(offset: number, target: Uint8Array): void;
}

/** Sources opened through it read synchronously, into a caller's buffer too (as `kerastore convert`'s). */
class HeldOpenStore extends NodeStore {
  readonly fds: number[] = [];
  copiedBytes = 0;
  override async open(path: string): Promise<RandomAccessSource> {
    const full = this.resolve(path);
    const fd = fs.openSync(full, "r");
    this.fds.push(fd);
    const size = fs.fstatSync(fd).size;
    const readInto = (offset: number, target: Uint8Array): void => {
      let done = 0;
      while (done < target.byteLength) {
        const n = fs.readSync(fd, target, done, target.byteLength - done, offset + done);
        if (n === 0) throw new Error(`cannot read ${full}: it ended at ${offset + done} bytes`);
        done += n;
      }
    };
    const readSync = (offset: number, length: number): Uint8Array => {
      const out = new Uint8Array(length);
      readInto(offset, out);
      return out;
    };
    const readSyncInto = (offset: number, target: Uint8Array): void => {
      this.copiedBytes += target.byteLength;
      readInto(offset, target);
    };
    const source: SyncReadableSource = {
      description: full,
      size,
      read: async (offset, length) => readSync(offset, length),
      readSync,
      readSyncInto,
      close: async () => undefined,
    };
    return source;
  }
  closeAll(): void {
    for (const fd of this.fds.splice(0)) fs.closeSync(fd);
  }
}

const rw = realworld();
const formats = createFormatRegistry([...builtinFormats, ...kerastoreFormats]);
const quiet = { includeOptimizer: false, weightsOnly: false, liveModel: undefined, onWarning: () => {} };

describe.skipIf(rw.dir === undefined)(
  `real-world .h5 files converted through the reused buffer${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
  () => {
    const dir = rw.dir ?? "";
    const files = Object.entries(TFJS_REALWORLD)
      .filter(([f, s]) => f.endsWith(".h5") && s.kind !== "refused" && !(s.kind === "predicts" && s.architecture))
      .map(([f]) => f);

    /** Converts `file` file to file from `store`; the directory's files, by name (undefined: declined). */
    async function convert(store: NodeStore, file: string, out: string, shardSizeBytes?: number) {
      const from = { store, path: file };
      const reader = await formats.detect(from);
      const read = () => reader.read(from, { safeMode: true, onWarning: () => {}, values: "lazy" });
      const target = new NodeStore(work);
      const done = await tfjsLayersFormat.convertFrom(
        { store: target, path: out },
        { reader, location: from, read },
        { ...quiet, shardSizeBytes, sync: false },
      );
      if (!done) return undefined;
      const names = fs.readdirSync(join(work, out)).sort();
      return Object.fromEntries(names.map((n) => [n, fs.readFileSync(join(work, out, n))]));
    }

    it.each(files)("%s: byte for byte what the per-weight reads write", async (file) => {
      for (const shardSizeBytes of [undefined, 65_539]) {
        const tag = `${file.replace(/\W/g, "_")}-${shardSizeBytes ?? "default"}`;
        const held = new HeldOpenStore(dir);
        let copied: Record<string, Buffer> | undefined;
        try {
          copied = await convert(held, file, `copied-${tag}`, shardSizeBytes);
        } finally {
          held.closeAll();
        }
        const plain = await convert(new NodeStore(dir), file, `plain-${tag}`, shardSizeBytes);
        expect(copied === undefined, "declined by both or neither").toBe(plain === undefined);
        if (plain === undefined || copied === undefined) continue;
        expect(Object.keys(copied)).toEqual(Object.keys(plain));
        for (const name of Object.keys(plain)) expect(Buffer.compare(copied[name]!, plain[name]!), name).toBe(0);
        // The copy path was taken: every byte of the shards came through readSyncInto, once.
        const shardBytes = Object.entries(copied)
          .filter(([n]) => n.endsWith(".bin"))
          .reduce((a, [, b]) => a + b.byteLength, 0);
        expect(held.copiedBytes).toBe(shardBytes);
      }
    });
  },
);
