import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { KerastoreError, MemoryStore, hostTensor, stringTensor } from "@kerastore/core";
import { describe, expect, it } from "vitest";
import { BundleEntryProtoSchema, TensorShapeProto_DimSchema } from "./gen/tensor_bundle_pb.js";
import { Checkpoint, buildTable, loadCheckpoint, readCheckpoint, readTable, variable } from "./index.js";

/** A small deterministic PRNG (mulberry32), so every run tries the same mutations. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function baseFiles(): Promise<{ index: Uint8Array; data: Uint8Array }> {
  const store = new MemoryStore();
  const sub = {
    className: "M",
    variables: [variable("k", hostTensor("float32", [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6])))],
    children: [],
  };
  const ckpt = new Checkpoint(store, {
    a: hostTensor("int64", [2], BigInt64Array.from([1n, -1n])),
    s: stringTensor([3], ["x", "", "hello world"]),
    f: hostTensor("float16", [], Uint16Array.from([0x3c00])),
    sub,
  });
  await ckpt.save("c");
  return { index: await store.read("c-1.index"), data: await store.read("c-1.data-00000-of-00001") };
}

/** Reads everything a user could: the reader, every tensor, the tree. Returns the error, if any. */
async function readAll(index: Uint8Array, data: Uint8Array): Promise<unknown> {
  const store = new MemoryStore({ "c-1.index": index, "c-1.data-00000-of-00001": data });
  try {
    const reader = await loadCheckpoint(store, "c-1");
    for (const [key] of reader.listVariables()) await reader.getTensor(key);
    await readCheckpoint(store, "c-1");
    return undefined;
  } catch (error) {
    return error;
  }
}

type Mutation = (index: Uint8Array, data: Uint8Array, r: () => number) => [Uint8Array, Uint8Array];

/** Rewrites every entry's BundleEntryProto with `change`, keeping the table itself valid. */
function rewriteEntries(
  index: Uint8Array,
  change: (e: ReturnType<typeof fromBinary<typeof BundleEntryProtoSchema>>, r: () => number) => void,
  r: () => number,
): Uint8Array {
  const entries = readTable(index, "base").map(({ key, value }) => {
    if (key.length === 0) return { key, value };
    const e = fromBinary(BundleEntryProtoSchema, value);
    if (r() < 0.5) change(e, r);
    return { key, value: toBinary(BundleEntryProtoSchema, e) };
  });
  return buildTable(entries);
}

const BIG = [2n ** 40n, 2n ** 62n, 2n ** 53n + 1n, -1n, 12345678901n];

const MUTATIONS: Record<string, Mutation> = {
  "truncated .index": (i, d, r) => [i.slice(0, Math.floor(r() * i.length)), d],
  "truncated .data": (i, d, r) => [i, d.slice(0, Math.floor(r() * d.length))],
  "bit flip in .index": (i, d, r) => {
    const m = i.slice();
    m[Math.floor(r() * m.length)]! ^= 1 << Math.floor(r() * 8);
    return [m, d];
  },
  "bit flip in .data": (i, d, r) => {
    const m = d.slice();
    m[Math.floor(r() * m.length)]! ^= 1 << Math.floor(r() * 8);
    return [i, m];
  },
  "random bytes over .index": (i, d, r) => {
    const m = i.slice();
    const at = Math.floor(r() * m.length);
    for (let k = at; k < Math.min(m.length, at + 1 + Math.floor(r() * 16)); k++) m[k] = Math.floor(r() * 256);
    return [m, d];
  },
  "wrong CRC in an entry": (i, d, r) => [
    rewriteEntries(
      i,
      (e) => {
        e.crc32c = (e.crc32c + 1) >>> 0;
      },
      r,
    ),
    d,
  ],
  "lying size": (i, d, r) => [
    rewriteEntries(
      i,
      (e, rr) => {
        e.size = BIG[Math.floor(rr() * BIG.length)]!;
      },
      r,
    ),
    d,
  ],
  "lying offset": (i, d, r) => [
    rewriteEntries(
      i,
      (e, rr) => {
        e.offset = BIG[Math.floor(rr() * BIG.length)]!;
      },
      r,
    ),
    d,
  ],
  "lying shape": (i, d, r) => [
    rewriteEntries(
      i,
      (e, rr) => {
        e.shape?.dim.push(create(TensorShapeProto_DimSchema, { size: BIG[Math.floor(rr() * BIG.length)]! }));
      },
      r,
    ),
    d,
  ],
  "lying shard": (i, d, r) => [
    rewriteEntries(
      i,
      (e, rr) => {
        e.shardId = 1 + Math.floor(rr() * 1000);
      },
      r,
    ),
    d,
  ],
  "lying dtype": (i, d, r) => [
    rewriteEntries(
      i,
      (e, rr) => {
        e.dtype = Math.floor(rr() * 40);
      },
      r,
    ),
    d,
  ],
  "entries shifted by one byte in .data": (i, d) => [i, Uint8Array.from([0, ...d])],
};

describe("hostile checkpoints", () => {
  it("the unmutated base reads", async () => {
    const { index, data } = await baseFiles();
    expect(await readAll(index, data)).toBeUndefined();
  });

  it("600 mutated .index/.data pairs give typed errors, never a crash, hang or huge allocation", async () => {
    const { index, data } = await baseFiles();
    const r = rng(20261125);
    const names = Object.keys(MUTATIONS);
    let errors = 0;
    const counts: Record<string, number> = {};
    for (let n = 0; n < 600; n++) {
      const name = names[n % names.length]!;
      const [i, d] = MUTATIONS[name]!(index, data, r);
      const error = await readAll(i, d);
      if (error !== undefined) {
        // Only our typed errors: a CheckpointError, or a CoreError from the store.
        if (!(error instanceof KerastoreError)) throw new Error(`${name} (#${n}) threw an untyped ${String(error)}`);
        expect(error.message).toMatch(/^cannot /);
        errors++;
        counts[name] = (counts[name] ?? 0) + 1;
      }
    }
    // Nearly every mutation must be caught (a flipped bit can land in footer padding, or a
    // "lying" rewrite can pick no entry).
    expect(errors).toBeGreaterThan(500);
    for (const name of [
      "truncated .index",
      "wrong CRC in an entry",
      "lying size",
      "lying offset",
      "bit flip in .data",
    ]) {
      expect(counts[name], name).toBeGreaterThan(20);
    }
  });
});
