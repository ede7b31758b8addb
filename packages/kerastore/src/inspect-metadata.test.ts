import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspect } from "./cli/inspect.js";
import { defaultFormatRegistry } from "./formats/builtin-formats.js";
import { keras } from "./node.js";

/** A store that counts every byte read through it. */
function counting(inner: NodeStore): Store & { bytes: number } {
  const out: Store & { bytes: number } = {
    description: inner.description,
    bytes: 0,
    read: async (path) => {
      const b = await inner.read(path);
      out.bytes += b.byteLength;
      return b;
    },
    readRange: (path, offset, length) => {
      out.bytes += length;
      return inner.readRange(path, offset, length);
    },
    size: (path) => inner.size(path),
    exists: (path) => inner.exists(path),
    isDirectory: (path) => inner.isDirectory(path),
    write: (path, data) => inner.write(path, data),
    list: (dir) => inner.list(dir),
    mkdir: (dir) => inner.mkdir(dir),
    remove: (path) => inner.remove(path),
  };
  return out;
}

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-inspect-"));
  // 2 x Dense(1024) on 1024 inputs: 8 MiB of weights, a few KiB of metadata.
  const model = new keras.Sequential({
    layers: [
      keras.Input({ shape: [1024] }),
      new keras.layers.Dense({ units: 1024 }),
      new keras.layers.Dense({ units: 1024 }),
    ],
  });
  await model.save(join(dir, "m.keras"));
  await model.save(join(dir, "m.h5"));
  await model.saveWeights(join(dir, "m.weights.h5"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("inspect reads metadata, not weights", () => {
  for (const file of ["m.keras", "m.h5", "m.weights.h5"]) {
    it(file, async () => {
      const store = counting(new NodeStore(dir));
      const report = await inspect({ store, path: file }, defaultFormatRegistry());
      expect(report.params).toBe(2 * (1024 * 1024 + 1024));
      expect(report.weights.map((w) => w.shape)).toEqual([[1024, 1024], [1024], [1024, 1024], [1024]]);
      // Well under the 8 MiB of weights: the file's metadata blocks only (64 KiB each).
      expect(store.bytes).toBeLessThan(1024 * 1024);
    });
  }
});
