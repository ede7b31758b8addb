import { describe, expect, it } from "vitest";
import {
  MemoryStore,
  type Store,
  type WriteData,
  commitRecordPath,
  readThroughPendingSaves,
  settlePendingSave,
  utf8Decode,
  utf8Encode,
  writeFileSet,
} from "./index.js";

const text = async (store: Store, path: string) => utf8Decode(await store.read(path));

/** A store that dies (throws, writing nothing more) at its Nth write or rename. */
class DyingStore extends MemoryStore {
  operations = 0;
  constructor(readonly dieAt: number) {
    super();
  }
  #tick(): void {
    if (++this.operations === this.dieAt) throw new Error("killed");
  }
  override async write(path: string, data: WriteData): Promise<void> {
    this.#tick();
    return super.write(path, data);
  }
  override async rename(from: string, to: string): Promise<void> {
    this.#tick();
    return super.rename(from, to);
  }
}

async function oldSet(store: MemoryStore): Promise<void> {
  await store.write("m/a", utf8Encode("old a"));
  await store.write("m/b", utf8Encode("old b"));
}

const newSet = async (staged: Store) => {
  await staged.write("m/a", utf8Encode("new a"));
  await staged.write("m/b", utf8Encode("new b"));
};

describe("writeFileSet", () => {
  it("replaces every file of the set and leaves nothing else", async () => {
    const store = new MemoryStore();
    await oldSet(store);
    await writeFileSet(store, "m", newSet);
    expect(store.paths()).toEqual(["m/a", "m/b"]);
    expect([await text(store, "m/a"), await text(store, "m/b")]).toEqual(["new a", "new b"]);
  });

  // Operations after the old set: 1 write a, 2 write b, 3 commit record, 4 rename a, 5 rename b.
  it.each([1, 2, 3, 4, 5])(
    "killed at operation %i: readers see all old or all new, and the next save settles it",
    async (dieAt) => {
      const store = new DyingStore(Number.POSITIVE_INFINITY);
      await oldSet(store);
      const dying = Object.assign(store, { dieAt: store.operations + dieAt });
      await expect(writeFileSet(dying, "m", newSet)).rejects.toThrow("killed");
      const reader = await readThroughPendingSaves(store, "m");
      const seen = [await text(reader, "m/a"), await text(reader, "m/b")];
      expect(seen).toEqual(dieAt <= 3 ? ["old a", "old b"] : ["new a", "new b"]);
      // The next save of the set rolls the killed one forward or drops it, then writes its own.
      Object.assign(store, { dieAt: Number.POSITIVE_INFINITY });
      await settlePendingSave(store, "m");
      expect(await store.exists(commitRecordPath("m"))).toBe(false);
      expect([await text(store, "m/a"), await text(store, "m/b")]).toEqual(seen);
    },
  );

  it("a failing writer leaves the old set and no staged files", async () => {
    const store = new MemoryStore();
    await oldSet(store);
    await expect(
      writeFileSet(store, "m", async (staged) => {
        await staged.write("m/a", utf8Encode("new a"));
        throw new Error("serializer failed");
      }),
    ).rejects.toThrow("serializer failed");
    expect(store.paths()).toEqual(["m/a", "m/b"]);
    expect(await text(store, "m/a")).toBe("old a");
  });

  it("removals wait for the commit", async () => {
    const store = new MemoryStore();
    await oldSet(store);
    await writeFileSet(store, "m", async (staged) => {
      await staged.remove("m/b");
      expect(await staged.exists("m/b")).toBe(false);
      expect(await store.exists("m/b")).toBe(true);
      await staged.write("m/a", utf8Encode("new a"));
    });
    expect(store.paths()).toEqual(["m/a"]);
  });

  it("removes staged files of a writer whose process is gone", async () => {
    const store = new MemoryStore();
    await oldSet(store);
    // Process ids wrap far below 2^22 on Linux: this one cannot be running.
    await store.write("m/.a.kerastore-stage-4194999-00aa11bb22cc", utf8Encode("killed"));
    await store.write("m/.b.tmp-4194999-00aa11bb22cc", utf8Encode("killed"));
    await writeFileSet(store, "m", newSet);
    expect(store.paths()).toEqual(["m/a", "m/b"]);
  });

  it("ignores a commit record that is not one, and one that climbs out of the store", async () => {
    const store = new MemoryStore();
    await oldSet(store);
    await store.write(
      commitRecordPath("m"),
      utf8Encode(JSON.stringify({ kerastoreCommit: 1, moves: [["../x", "m/a"]], removes: [] })),
    );
    expect(await readThroughPendingSaves(store, "m")).toBe(store);
    await store.write(commitRecordPath("m"), utf8Encode("not json"));
    expect(await readThroughPendingSaves(store, "m")).toBe(store);
    await settlePendingSave(store, "m");
    expect(store.paths()).toEqual(["m/a", "m/b"]);
  });
});
