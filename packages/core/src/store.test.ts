import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CoreError, MemoryStore, type Store } from "./index.js";
import { NodeStore } from "./node/index.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "kerastore-store-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stores: [string, () => Store][] = [
  ["MemoryStore", () => new MemoryStore()],
  ["NodeStore", () => new NodeStore(dir)],
];

describe.each(stores)("%s", (_, make) => {
  it("writes, reads, ranges, lists and removes", async () => {
    const store = make();
    await store.write("a/b/c.bin", bytes("hello world"));
    await store.write("a/d.txt", [bytes("x"), bytes("yz")]);
    expect(text(await store.read("a/b/c.bin"))).toBe("hello world");
    expect(text(await store.read("a/d.txt"))).toBe("xyz");
    expect(text(await store.readRange("a/b/c.bin", 6, 5))).toBe("world");
    expect(await store.size("a/b/c.bin")).toBe(11);
    expect(await store.list("a")).toEqual(["b", "d.txt"]);
    expect(await store.isDirectory("a/b")).toBe(true);
    expect(await store.isDirectory("a/d.txt")).toBe(false);
    await expect(store.readRange("a/b/c.bin", 8, 5)).rejects.toThrow(CoreError);
    await store.remove("a/b");
    expect(await store.exists("a/b/c.bin")).toBe(false);
    await expect(store.read("a/b/c.bin")).rejects.toMatchObject({ code: "not-found" });
  });

  it("keeps the old file when a write fails midway", async () => {
    const store = make();
    await store.write("model.bin", bytes("old contents"));
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield bytes("new part one");
      throw new Error("disk on fire");
    }
    await expect(store.write("model.bin", failing())).rejects.toThrow(/disk on fire/);
    expect(text(await store.read("model.bin"))).toBe("old contents");
  });

  it("leaves no file under the final name when a first write fails", async () => {
    const store = make();
    function* failing(): Generator<Uint8Array> {
      yield new Uint8Array(1 << 20);
      throw new Error("interrupted");
    }
    await expect(store.write("fresh.bin", failing())).rejects.toThrow(/interrupted/);
    expect(await store.exists("fresh.bin")).toBe(false);
  });
});

describe("NodeStore on disk", () => {
  it("cleans up its temporary file after a failed write", async () => {
    const store = new NodeStore(dir);
    await writeFile(join(dir, "keep.txt"), "keep");
    function* failing(): Generator<Uint8Array> {
      yield bytes("partial");
      throw new Error("stop");
    }
    await expect(store.write("w.bin", failing())).rejects.toThrow(CoreError);
    expect(await readdir(dir)).toEqual(["keep.txt"]);
  });

  it("writes through a temporary name and renames", async () => {
    const store = new NodeStore(dir);
    let seenDuringWrite: string[] = [];
    async function* observed(): AsyncGenerator<Uint8Array> {
      yield bytes("abc");
      seenDuringWrite = await readdir(dir);
      yield bytes("def");
    }
    await store.write("final.bin", observed());
    expect(seenDuringWrite).toHaveLength(1);
    expect(seenDuringWrite[0]).toMatch(/^\.final\.bin\.tmp-/);
    expect(await readFile(join(dir, "final.bin"), "utf8")).toBe("abcdef");
    expect(await readdir(dir)).toEqual(["final.bin"]);
  });

  it("writes a large file in pieces with background flushes, byte for byte, and fails cleanly midway", async () => {
    const store = new NodeStore(dir);
    // 80 MiB in 5 MiB pieces: at least two background flushes start while later pieces are written.
    const piece = (i: number): Uint8Array => new Uint8Array(5 * 2 ** 20).fill(i * 17 + 1);
    function* pieces(n: number, failAt?: number): Generator<Uint8Array> {
      for (let i = 0; i < n; i++) {
        if (i === failAt) throw new Error("stopped at piece 13");
        yield piece(i);
      }
    }
    await store.write("big.bin", pieces(16));
    const back = await readFile(join(dir, "big.bin"));
    expect(back.length).toBe(80 * 2 ** 20);
    for (let i = 0; i < 16; i++) expect(back[i * 5 * 2 ** 20 + 12345], `piece ${i}`).toBe((i * 17 + 1) & 0xff);
    // A failure after flushes began: the old file stays whole, the temporary file is gone.
    await expect(store.write("big.bin", pieces(16, 13))).rejects.toThrow(/stopped at piece 13/);
    expect((await readFile(join(dir, "big.bin"))).equals(back)).toBe(true);
    expect(await readdir(dir)).toEqual(["big.bin"]);
  });
});
