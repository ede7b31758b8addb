import { type SavedNode, toFloat32, utf8Encode } from "@kerastore/core";
import { readFixture } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import {
  H5Error,
  concatShards,
  keras3WeightsShards,
  readKeras3WeightsShards,
  readKerasH5,
  shardFileNames,
} from "./test-exports.test-util.js";

function sizesOf(root: SavedNode): number[] {
  const out: number[] = [];
  const visit = (n: SavedNode): void => {
    for (const v of n.variables) out.push(v.value.dtype === "string" ? 0 : v.value.data.byteLength);
    for (const e of n.children) visit(e.node);
  };
  visit(root);
  return out;
}

function flat(root: SavedNode): [string, number[], number[]][] {
  const out: [string, number[], number[]][] = [];
  const visit = (n: SavedNode, at: string): void => {
    for (const v of n.variables) out.push([`${at}/${v.name}`, [...v.value.shape], Array.from(toFloat32(v.value))]);
    for (const e of n.children) visit(e.node, `${at}/${e.name}`);
  };
  visit(root, "");
  return out;
}

describe("Keras 3 sharded weights", async () => {
  // A Keras-written .weights.h5 with layers and an optimizer (Adam slots).
  const source = await readKerasH5(readFixture("h5/fun.weights.h5"), { name: "fun.weights.h5" });
  const sizes = sizesOf(source.data.root);

  it("splits as Keras does: in walk order, a new shard when the next variable would overflow", () => {
    const max = Math.max(...sizes) + 8;
    const { index, shards } = keras3WeightsShards(source.data, { indexName: "fun.weights.json", maxShardBytes: max });
    // The same greedy rule, computed independently from the sizes.
    let expected = 1;
    let current = 0;
    for (const s of sizes) {
      current += s;
      if (current > max) {
        expected++;
        current = s;
      }
    }
    expect(shards.length).toBe(expected);
    expect(shards.map((s) => s.name)).toEqual(
      Array.from({ length: expected }, (_, i) => `fun_${String(i).padStart(5, "0")}.weights.h5`),
    );
    const parsed = JSON.parse(index) as { metadata: { total_size: number }; weight_map: Record<string, string[]> };
    expect(parsed.metadata.total_size).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(index).toMatch(/"total_size": \d+\.0\n/);
    expect(Object.keys(parsed.weight_map).every((k) => k.endsWith("/vars"))).toBe(true);
  });

  it("reads back what it writes, variable for variable, at several shard sizes", async () => {
    for (const max of [Math.max(...sizes), Math.max(...sizes) * 3, 1e9]) {
      const { index, shards } = keras3WeightsShards(source.data, { indexName: "fun.weights.json", maxShardBytes: max });
      const files = new Map(shards.map((s) => [s.name, concatShards(s.chunks)]));
      const back = await readKeras3WeightsShards(utf8Encode(index), async (n) => files.get(n)!, {
        name: "fun.weights.json",
      });
      expect(flat(back.root)).toEqual(flat(source.data.root));
    }
  });

  it("refuses a variable larger than the shard size, as Keras does", () => {
    expect(() => keras3WeightsShards(source.data, { indexName: "w.weights.json", maxShardBytes: 16 })).toThrow(
      /more than the maximum shard size of 16/,
    );
  });

  it("refuses lying or hostile indexes with a typed error", async () => {
    const bad = [
      "not json",
      "[]",
      '{"weight_map": 3}',
      '{"weight_map": {"/vars": []}}',
      '{"weight_map": {"/vars": ["../etc/passwd.h5"]}}',
      '{"weight_map": {"/vars": ["/abs.h5"]}}',
      '{"weight_map": {"/vars": ["x.txt"]}}',
    ];
    for (const text of bad) expect(() => shardFileNames(utf8Encode(text), "i.weights.json"), text).toThrow(H5Error);
    // A shard missing one of a group's variables.
    const { index, shards } = keras3WeightsShards(source.data, {
      indexName: "fun.weights.json",
      maxShardBytes: Math.max(...sizes),
    });
    const files = new Map(shards.map((s) => [s.name, concatShards(s.chunks)]));
    const dropped = shards.at(-1)!.name;
    const read = readKeras3WeightsShards(
      utf8Encode(index),
      async (n) => (n === dropped ? files.get(shards[0]!.name)! : files.get(n)!),
      { name: "fun.weights.json" },
    );
    await expect(read).rejects.toThrow(H5Error);
  });
});
