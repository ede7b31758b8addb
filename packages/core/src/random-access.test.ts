import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  MemoryStore,
  bytesSource,
  hostTensor,
  isPendingTensor,
  isRandomAccessSource,
  loadTreeValues,
  openSource,
  pendingTensor,
  rangeSource,
  savedNode,
  subSource,
  treeByteSize,
} from "./index.js";
import { NodeStore } from "./node/index.js";

const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);

describe("random-access sources", () => {
  const dir = mkdtempSync(join(tmpdir(), "kerastore-source-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "f.bin"), bytes);

  it("read the same ranges from memory, a Node file handle and a store's readRange", async () => {
    const node = new NodeStore(dir);
    for (const source of [
      bytesSource(bytes, "f.bin"),
      await node.open("f.bin"),
      await openSource(new MemoryStore({ "f.bin": bytes }), "f.bin"),
      await rangeSource(node, "f.bin"),
    ]) {
      expect(source.size).toBe(1000);
      expect(isRandomAccessSource(source)).toBe(true);
      expect([...(await source.read(250, 4))]).toEqual([250, 0, 1, 2]);
      expect((await source.read(1000, 0)).byteLength).toBe(0);
      await source.close();
    }
  });

  it("refuse a range past the end, negative or not an integer, before reading", async () => {
    const handle = await new NodeStore(dir).open("f.bin");
    for (const source of [
      bytesSource(bytes, "f.bin"),
      handle,
      subSource(bytesSource(bytes), 100, 500, "f.bin!member"),
    ]) {
      for (const [offset, length] of [
        [source.size - 3, 4],
        [-1, 2],
        [0, 2 ** 60],
        [0.5, 1],
      ] as const) {
        await expect(source.read(offset, length)).rejects.toMatchObject({
          code: "io",
          message: expect.stringContaining("cannot read"),
        });
      }
    }
    await handle.close();
    await expect(handle.read(0, 1)).rejects.toMatchObject({ code: "io" });
  });

  it("a sub-range reads its part of the parent, and may not start outside it", async () => {
    const sub = subSource(bytesSource(bytes), 100, 500, "f.bin!member");
    expect([...(await sub.read(0, 2))]).toEqual([100, 101]);
    expect(() => subSource(bytesSource(bytes), 900, 200, "x")).toThrow(/cannot read 200 bytes at 900/);
  });

  it("a missing file is not-found", async () => {
    await expect(new NodeStore(dir).open("nope.bin")).rejects.toMatchObject({ code: "not-found" });
  });
});

describe("pending tensors", () => {
  it("say they are not loaded, and loadTreeValues loads what the filter accepts", async () => {
    const root = savedNode("Model", "m");
    const a = savedNode("Dense", "a");
    const b = savedNode("Dense", "b");
    root.children.push({ name: "a", node: a }, { name: "b", node: b });
    let loads = 0;
    const lazy = (v: number) =>
      pendingTensor("float32", [2], 8, `w${v}`, async () => {
        loads++;
        return hostTensor("float32", [2], new Float32Array([v, v]));
      });
    a.variables.push({ name: "kernel", path: "a/kernel", trainable: true, value: lazy(1) });
    b.variables.push({ name: "kernel", path: "b/kernel", trainable: true, value: lazy(2) });
    expect(() => a.variables[0]!.value.data).toThrow(/w1.*not loaded yet/);
    expect(treeByteSize(root)).toBe(16);
    const seen: string[] = [];
    expect(
      await loadTreeValues(root, {
        filter: (_v, path) => path.at(-1) === "b",
        onLoaded: (v) => void seen.push(v.path),
      }),
    ).toBe(8);
    expect(seen).toEqual(["b/kernel"]);
    expect(loads).toBe(1);
    expect(isPendingTensor(a.variables[0]!.value)).toBe(true);
    expect([...(b.variables[0]!.value.data as Float32Array)]).toEqual([2, 2]);
    expect(await loadTreeValues(root)).toBe(8);
    expect(loads).toBe(2);
  });
});
