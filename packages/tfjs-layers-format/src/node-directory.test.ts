import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeStore } from "@kerastore/core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TfjsFormatError } from "./errors.js";
import { writeNewTfjsDirectory } from "./node-directory.js";
import type { TfjsArtifacts } from "./write-model.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kerastore-tfjs-dir-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Shards made of many small chunks of known bytes, with empty ones among them. */
function artifacts(shardCount: number, chunksPerShard: number, failAt?: number): TfjsArtifacts {
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
  return { shards, weightBytes: 0, modelJson: () => ({ format: "layers-model", shards: shardCount }) };
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
  for (const sync of [true, false]) {
    it(`writes every shard's chunks in order (3000 chunks, some empty), then model.json, under the final name (sync ${sync})`, async () => {
      const store = new NodeStore(dir);
      const name = `web_${sync}`;
      expect(await writeNewTfjsDirectory(store, name, artifacts(2, 3000), { sync })).toBe(true);
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
});
