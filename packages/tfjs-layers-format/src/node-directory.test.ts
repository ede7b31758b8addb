import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemoryStore, type SavedModelData, type SavedNode, pendingTensor } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TfjsFormatError } from "./errors.js";
import { EARLY_DIRECTORY_FLUSH_BYTES, writeNewTfjsDirectory } from "./node-directory.js";
import { writeSettings } from "./options.js";
import { type TfjsArtifacts, tfjsArtifacts, writeTfjsArtifacts } from "./write-model.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kerastore-tfjs-dir-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Shards made of many small chunks of known bytes, with empty ones among them. */
function artifacts(shardCount: number, chunksPerShard: number, failAt?: number, weightBytes = 0): TfjsArtifacts {
  const shards = Array.from({ length: shardCount }, (_, s) => ({
    name: `group1-shard${s + 1}of${shardCount}.bin`,
    chunks: {
      async *[Symbol.asyncIterator]() {
        for (let c = 0; c < chunksPerShard; c++) {
          if (failAt !== undefined && s * chunksPerShard + c === failAt) throw new Error("the source went away");
          // Chunk c of shard s: c % 7 + 1 bytes, each (s * 31 + c) & 255; an empty chunk now and then.
          yield c % 50 === 49 ? new Uint8Array(0) : new Uint8Array((c % 7) + 1).fill((s * 31 + c) & 255);
        }
      },
    },
  }));
  return { shards, weightBytes, modelJson: () => ({ format: "layers-model", shards: shardCount }) };
}

function expected(s: number, chunksPerShard: number): Uint8Array {
  const parts: number[] = [];
  for (let c = 0; c < chunksPerShard; c++) {
    if (c % 50 === 49) continue;
    for (let k = 0; k < (c % 7) + 1; k++) parts.push((s * 31 + c) & 255);
  }
  return new Uint8Array(parts);
}

describe("writeNewTfjsDirectory", () => {
  // Every directory is written by synchronous calls, gathering each shard's chunks into runs
  // written by one writev (3000 chunks: more than IOV_MAX, 1024, at once); a small directory's
  // staging directory is flushed beside its files, a larger one's after them.
  for (const [sync, flush] of [
    [true, "early"],
    [false, "early"],
    [true, "late"],
    [false, "late"],
  ] as const) {
    it(`writes every shard's chunks in order (3000 chunks, some empty), then model.json, under the final name (flush ${sync}, directory flush ${flush})`, async () => {
      const store = new NodeStore(dir);
      const name = `web_${sync}_${flush}`;
      const weightBytes = flush === "late" ? EARLY_DIRECTORY_FLUSH_BYTES + 1 : 0;
      expect(await writeNewTfjsDirectory(store, name, artifacts(2, 3000, undefined, weightBytes), { sync })).toBe(true);
      expect((await readdir(join(dir, name))).sort()).toEqual([
        "group1-shard1of2.bin",
        "group1-shard2of2.bin",
        "model.json",
      ]);
      for (const s of [0, 1])
        expect(new Uint8Array(await readFile(join(dir, name, `group1-shard${s + 1}of2.bin`)))).toEqual(
          expected(s, 3000),
        );
      expect(JSON.parse(await readFile(join(dir, name, "model.json"), "utf8"))).toEqual({
        format: "layers-model",
        shards: 2,
      });
      // Nothing left beside it: the staging directory became the final one.
      expect((await readdir(dir)).filter((n) => n.includes(name) && n !== name)).toEqual([]);
    });
  }

  it("writes a shard of more bytes than one writev gathers (9 MiB of odd-sized chunks) byte for byte", async () => {
    const store = new NodeStore(dir);
    // Chunks of 1 MiB + 3 bytes (each filled with its index), so the runs end mid-pattern.
    const sizes = Array.from({ length: 9 }, () => 2 ** 20 + 3);
    const chunk = (c: number) => new Uint8Array(sizes[c]!).fill(c + 1);
    const shard = {
      name: "group1-shard1of1.bin",
      chunks: {
        async *[Symbol.asyncIterator]() {
          for (let c = 0; c < sizes.length; c++) yield chunk(c);
        },
      },
    };
    const total = sizes.reduce((a, b) => a + b, 0);
    const big: TfjsArtifacts = { shards: [shard], weightBytes: total, modelJson: () => ({ format: "layers-model" }) };
    expect(await writeNewTfjsDirectory(store, "gathered", big, { sync: false })).toBe(true);
    const bytes = new Uint8Array(await readFile(join(dir, "gathered", "group1-shard1of1.bin")));
    expect(bytes.byteLength).toBe(total);
    let at = 0;
    for (let c = 0; c < sizes.length; c++) {
      expect(bytes[at]).toBe(c + 1);
      expect(bytes[at + sizes[c]! - 1]).toBe(c + 1);
      expect(bytes.subarray(at, at + sizes[c]!).every((b) => b === c + 1)).toBe(true);
      at += sizes[c]!;
    }
  });

  it("declines an existing directory (updated as a set by the store instead)", async () => {
    const store = new NodeStore(dir);
    await store.mkdir("existing");
    expect(await writeNewTfjsDirectory(store, "existing", artifacts(1, 3))).toBe(false);
    expect(await readdir(join(dir, "existing"))).toEqual([]);
  });

  it("a source failing mid-shard leaves nothing under the final name and no staging directory", async () => {
    const store = new NodeStore(dir);
    const error = await writeNewTfjsDirectory(store, "broken", artifacts(2, 100, 150)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TfjsFormatError);
    expect((error as TfjsFormatError).message).toMatch(/^cannot write .*broken: the source went away$/);
    expect((await readdir(dir)).filter((n) => n.includes("broken"))).toEqual([]);
  });

  for (const sync of [true, false]) {
    it(`a failing write (a file that exists) leaves nothing under the final name and no staging directory (flush ${sync})`, async () => {
      const store = new NodeStore(dir);
      const name = `clash_${sync}`;
      const twice = artifacts(1, 10);
      // Two shards by one name: the second open fails (EEXIST) after the first file is written.
      const clash = { ...twice, shards: [twice.shards[0]!, twice.shards[0]!] };
      const error = await writeNewTfjsDirectory(store, name, clash, { sync }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TfjsFormatError);
      expect((error as TfjsFormatError).message).toMatch(new RegExp(`^cannot write .*${name}: EEXIST`));
      expect((await readdir(dir)).filter((n) => n.includes(name))).toEqual([]);
    });

    it(`model.json failing after every shard is written leaves nothing behind (flush ${sync})`, async () => {
      const store = new NodeStore(dir);
      const name = `nojson_${sync}`;
      const broken: TfjsArtifacts = {
        ...artifacts(3, 20),
        modelJson: () => {
          throw new Error("no manifest");
        },
      };
      const error = await writeNewTfjsDirectory(store, name, broken, { sync }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/no manifest$/);
      expect((await readdir(dir)).filter((n) => n.includes(name))).toEqual([]);
    });
  }

  it("makes a missing parent, and removes a dead process's staging directory beside the new one", async () => {
    const store = new NodeStore(dir);
    // pid 2^22 + 1 is above Linux's pid_max: no such process.
    const dead = join(dir, "deep", ".web.kerastore-stage-4194305-abcdef");
    await mkdir(dead, { recursive: true });
    expect(await writeNewTfjsDirectory(store, "deep/web", artifacts(1, 5), { sync: false })).toBe(true);
    expect((await readdir(join(dir, "deep"))).sort()).toEqual(["web"]);
    expect(await writeNewTfjsDirectory(store, "new/parent/web", artifacts(1, 5), { sync: false })).toBe(true);
    expect(await readdir(join(dir, "new/parent/web"))).toEqual(["group1-shard1of1.bin", "model.json"]);
  });

  it("writes byte for byte what the store writer does: every shard cut across weights, lazy weights loaded in turn", async () => {
    // Dense layers whose weights straddle 1000-byte shards; half of them lazy (PendingTensors).
    const children: { name: string; node: SavedNode }[] = [];
    const layers = [];
    for (let i = 0; i < 6; i++) {
      const kernel = Float32Array.from({ length: 37 * 11 }, (_, k) => Math.sin(i * 1000 + k));
      const bias = Float32Array.from({ length: 11 }, (_, k) => i - k / 7);
      const value = (data: Float32Array, shape: number[]) =>
        i % 2 === 0
          ? { dtype: "float32" as const, shape, data }
          : pendingTensor("float32", shape, data.byteLength, `lazy ${i}`, async () => ({
              dtype: "float32" as const,
              shape,
              data,
            }));
      const name = `dense_${i}`;
      children.push({
        name,
        node: {
          className: "Dense",
          name,
          variables: [
            { name: "kernel", path: `${name}/kernel`, trainable: true, value: value(kernel, [37, 11]) },
            { name: "bias", path: `${name}/bias`, trainable: true, value: value(bias, [11]) },
          ],
          children: [],
        },
      });
      const config = {
        name,
        units: 11,
        activation: "linear",
        use_bias: true,
        ...(i === 0 ? { batch_input_shape: [null, 37] } : {}),
      };
      layers.push({ class_name: "Dense", config });
    }
    const data: SavedModelData = {
      root: { className: "Sequential", name: "s", variables: [], children },
      modelConfig: { class_name: "Sequential", config: { name: "s", layers } },
      kerasVersion: "2.15.0",
      backend: "tensorflow",
    };
    const plan = () => tfjsArtifacts(data, writeSettings({ shardSizeBytes: 1000 }, "web"), "web");
    const memory = new MemoryStore();
    await writeTfjsArtifacts(memory, "web", plan());
    const store = new NodeStore(dir);
    expect(await writeNewTfjsDirectory(store, "same_bytes", plan())).toBe(true);
    const names = (await readdir(join(dir, "same_bytes"))).sort();
    expect(names.length).toBe(Math.ceil((6 * (37 * 11 + 11) * 4) / 1000) + 1);
    expect(names).toEqual((await memory.list("web")).sort());
    for (const n of names)
      expect(new Uint8Array(await readFile(join(dir, "same_bytes", n)))).toEqual(await memory.read(`web/${n}`));
  });
});
