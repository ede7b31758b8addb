import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type SavedModelData, type SavedNode, hostTensor } from "@kerastore/core";
import { keras3WeightsShards } from "@kerastore/h5";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestPage } from "../src/build.js";
import { launchChromium, openPage } from "../src/chromium.js";
import type { PartialLoad } from "../src/page/large.js";
import { type StaticServer, startStaticServer } from "../src/static-server.js";

declare const kt: { loadShardedLayer(base: string, index: string, layer: string): Promise<PartialLoad> };

const UNITS = 1024;
const LAYERS = 6;

/** Six Dense(1024) layers (4 MiB kernels), each kernel filled with its layer index + 0.5, biases with the index. */
function model(): SavedModelData {
  const children: { name: string; node: SavedNode }[] = [];
  for (let l = 0; l < LAYERS; l++) {
    const name = l === 0 ? "dense" : `dense_${l}`;
    children.push({
      name,
      node: {
        className: "Dense",
        name,
        variables: [
          {
            name: "kernel",
            path: `${name}/kernel`,
            trainable: true,
            value: hostTensor("float32", [UNITS, UNITS], new Float32Array(UNITS * UNITS).fill(l + 0.5)),
          },
          {
            name: "bias",
            path: `${name}/bias`,
            trainable: true,
            value: hostTensor("float32", [UNITS], new Float32Array(UNITS).fill(l)),
          },
        ],
        children: [],
      },
    });
  }
  return { root: { className: "Sequential", name: "m", variables: [], children } };
}

// A page reads sharded weights by URL (HttpStore: HEAD, then Range GETs) and loads one layer:
// it fetches each shard's metadata and that layer's bytes, never a whole shard.
describe("sharded weights by URL in Chromium, one layer loaded", () => {
  let out: string;
  let models: string;
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let shardNames: string[];

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "kerastore-page-"));
    models = mkdtempSync(join(tmpdir(), "kerastore-sharded-"));
    const { index, shards } = keras3WeightsShards(model(), {
      indexName: "model.weights.json",
      maxShardBytes: 9 * 2 ** 20,
    });
    for (const shard of shards) writeFileSync(join(models, shard.name), Buffer.concat(shard.chunks));
    writeFileSync(join(models, "model.weights.json"), index);
    shardNames = shards.map((s) => s.name);
    await buildTestPage(out);
    server = await startStaticServer({ roots: { "/": out, "/models/": models } });
    browser = await launchChromium();
    ({ page, errors } = await openPage(browser, `${server.origin}/`));
    await page.waitForSelector("body[data-ready=true]");
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (out !== undefined) rmSync(out, { recursive: true, force: true });
    if (models !== undefined) rmSync(models, { recursive: true, force: true });
  });

  it("fetches the metadata of every shard and the bytes of the asked layer only, by range", async () => {
    expect(shardNames.length).toBeGreaterThanOrEqual(3);
    const before = server.requests.length;
    const got = await page.evaluate(() => kt.loadShardedLayer("/models/", "model.weights.json", "dense_4"));
    const layerBytes = UNITS * UNITS * 4 + UNITS * 4;
    expect(got.weightBytes).toBe(LAYERS * layerBytes);
    expect(got.loadedBytes).toBe(layerBytes);
    expect(got.pending).toBe((LAYERS - 1) * 2);
    expect(got.values).toEqual([
      { shape: [UNITS, UNITS], first: 4.5, last: 4.5 },
      { shape: [UNITS], first: 4, last: 4 },
    ]);
    const requests = server.requests
      .slice(before)
      .filter((r) => r.path.startsWith("/models/") && !r.path.endsWith(".json"));
    const gets = requests.filter((r) => r.method === "GET");
    expect(gets.length).toBeGreaterThan(0);
    expect(
      gets.every((r) => r.range !== undefined && r.status === 206),
      JSON.stringify(gets),
    ).toBe(true);
    const fetched = gets.reduce((n, r) => n + r.bytes, 0);
    const total = shardNames.reduce((n, s) => n + statSync(join(models, s)).size, 0);
    // The layer's bytes plus at most a 64 KiB metadata block or two per shard; never whole shards.
    expect(fetched).toBeGreaterThanOrEqual(layerBytes);
    expect(fetched).toBeLessThan(layerBytes + shardNames.length * 3 * 64 * 1024);
    expect(fetched).toBeLessThan(total / 3);
    for (const shard of shardNames)
      expect(
        gets.some((r) => r.path === `/models/${shard}`),
        shard,
      ).toBe(true);
    expect(errors).toEqual([]);
  });
});
