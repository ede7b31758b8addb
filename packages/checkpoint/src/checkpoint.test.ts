import { MemoryStore, type SavedVariable, type Store, type WriteData, chunksOf, hostTensor } from "@kerastore/core";
import { describe, expect, it } from "vitest";
import {
  Checkpoint,
  CheckpointError,
  CheckpointManager,
  formatCheckpointState,
  latestCheckpoint,
  loadCheckpoint,
  parseCheckpointState,
  readCheckpointState,
  variable,
} from "./index.js";

const f32 = (...values: number[]) => hostTensor("float32", [values.length], Float32Array.from(values));
const valuesOf = (v: SavedVariable | undefined) => Array.from(v!.value.data as Float32Array);

describe("Checkpoint", () => {
  it("save numbers prefix-1, prefix-2 with save_counter and names the newest in the state file", async () => {
    const store = new MemoryStore();
    const x = variable("x", f32(1, 2));
    const ckpt = new Checkpoint(store, {
      x,
      sub: { className: "M", variables: [variable("y", f32(3))], children: [] },
    });
    expect(await ckpt.save("run/ckpt")).toBe("run/ckpt-1");
    x.value = f32(5, 6);
    expect(await ckpt.save("run/ckpt")).toBe("run/ckpt-2");
    expect(new TextDecoder().decode(await store.read("run/checkpoint"))).toBe(
      'model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-2"\n',
    );
    const reader = await loadCheckpoint(store, "run/ckpt-2");
    expect(reader.listVariables().map(([k]) => k)).toEqual([
      "_CHECKPOINTABLE_OBJECT_GRAPH",
      "save_counter/.ATTRIBUTES/VARIABLE_VALUE",
      "sub/y/.ATTRIBUTES/VARIABLE_VALUE",
      "x/.ATTRIBUTES/VARIABLE_VALUE",
    ]);
    expect((await reader.getTensor("save_counter/.ATTRIBUTES/VARIABLE_VALUE")).data).toEqual(BigInt64Array.from([2n]));

    const back = new Checkpoint(store, {
      x: variable("x", f32(0, 0)),
      sub: { className: "M", variables: [variable("y", f32(0))], children: [] },
    });
    (await back.restore("run/ckpt-1")).assertConsumed();
    expect(valuesOf(back.get("x") as SavedVariable)).toEqual([1, 2]);
    expect(back.saveCounter).toBe(1);
  });

  it("reports what did not match; assertConsumed and assertExistingObjectsMatched differ", async () => {
    const store = new MemoryStore();
    await new Checkpoint(store, { a: variable("a", f32(1)), b: variable("b", f32(2)) }).write("w");
    const partial = new Checkpoint(store, { a: variable("a", f32(0)) });
    const status = await partial.read("w");
    expect(status.unusedKeys).toEqual(["b/.ATTRIBUTES/VARIABLE_VALUE"]);
    expect(() => status.assertConsumed()).toThrow(/b\/.ATTRIBUTES\/VARIABLE_VALUE/);
    expect(status.assertExistingObjectsMatched()).toBe(status);
    expect(status.expectPartial()).toBe(status);

    const bigger = new Checkpoint(store, {
      a: variable("a", f32(0)),
      b: variable("b", f32(0)),
      c: variable("c", f32(0)),
    });
    const s2 = await bigger.read("w");
    expect(() => s2.assertExistingObjectsMatched()).toThrow(CheckpointError);
    expect(s2.unmatchedVariables).toEqual(["c"]);

    const wrongShape = new Checkpoint(store, { a: variable("a", f32(0, 0)) });
    await expect(wrongShape.read("w")).rejects.toMatchObject({ code: "mismatch" });
    await expect(wrongShape.read("nothing")).rejects.toMatchObject({ code: "not-found" });
  });
});

describe("checkpoint state file", () => {
  it("parses what TensorFlow writes and formats it back", () => {
    const text =
      'model_checkpoint_path: "ckpt-3"\nall_model_checkpoint_paths: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-3"\nall_model_checkpoint_timestamps: 1700000000.5\nall_model_checkpoint_timestamps: 1700000100.25\nlast_preserved_timestamp: 1699999999.0\n';
    const state = parseCheckpointState(text, "checkpoint");
    expect(state).toEqual({
      modelCheckpointPath: "ckpt-3",
      allModelCheckpointPaths: ["ckpt-2", "ckpt-3"],
      allModelCheckpointTimestamps: [1700000000.5, 1700000100.25],
      lastPreservedTimestamp: 1699999999,
    });
    expect(parseCheckpointState(formatCheckpointState(state), "x")).toEqual(state);
    expect(parseCheckpointState('model_checkpoint_path: "a\\"b\\303\\251"', "x").modelCheckpointPath).toBe('a"bé');
    expect(() => parseCheckpointState("model_checkpoint_path: ckpt", "x")).toThrow(/line 1 of x/);
  });
});

describe("CheckpointManager", () => {
  it("keeps maxToKeep, preserves one every N hours, and honours checkpointInterval", async () => {
    const store = new MemoryStore();
    const x = variable("x", f32(0));
    let clock = 1_000_000;
    let step = 0;
    const manager = await CheckpointManager.open(store, new Checkpoint(store, { x }), {
      directory: "m",
      maxToKeep: 2,
      keepCheckpointEveryNHours: 1,
      checkpointInterval: 10,
      stepCounter: () => step,
      now: () => clock,
    });
    const saved: (string | undefined)[] = [];
    for (let i = 0; i < 6; i++) {
      step = i * 10;
      clock += 1800; // half an hour between saves
      x.value = f32(i);
      saved.push(await manager.save());
      step += 5;
      expect(await manager.save()).toBeUndefined(); // 5 steps < interval
    }
    expect(saved).toEqual(["m/ckpt-1", "m/ckpt-2", "m/ckpt-3", "m/ckpt-4", "m/ckpt-5", "m/ckpt-6"]);
    expect(manager.checkpoints).toEqual(["m/ckpt-5", "m/ckpt-6"]);
    // Saved every 30 min with keep-every-1h: ckpt-2 and ckpt-4 (one hour apart) were preserved.
    const files = store.paths().filter((p) => p.endsWith(".index"));
    expect(files).toEqual(["m/ckpt-2.index", "m/ckpt-4.index", "m/ckpt-5.index", "m/ckpt-6.index"]);
    expect(await latestCheckpoint(store, "m")).toBe("m/ckpt-6");
    const state = await readCheckpointState(store, "m");
    expect(state?.allModelCheckpointPaths).toEqual(["ckpt-5", "ckpt-6"]);
    // A new manager over the same directory picks the series up.
    const again = await CheckpointManager.open(store, new Checkpoint(store, { x }), { directory: "m", maxToKeep: 2 });
    expect(again.latestCheckpoint).toBe("m/ckpt-6");
  });
});

/** A store whose writes and removes fail once a budget of chunk writes and removes runs out. */
class FailingStore implements Store {
  readonly description = "failing";
  budget = Number.POSITIVE_INFINITY;
  readonly inner: MemoryStore;
  constructor(inner: MemoryStore) {
    this.inner = inner;
  }
  #spend(): void {
    if (this.budget-- <= 0) throw new Error("simulated crash");
  }
  read(p: string) {
    return this.inner.read(p);
  }
  readRange(p: string, o: number, l: number) {
    return this.inner.readRange(p, o, l);
  }
  size(p: string) {
    return this.inner.size(p);
  }
  exists(p: string) {
    return this.inner.exists(p);
  }
  isDirectory(p: string) {
    return this.inner.isDirectory(p);
  }
  list(p: string) {
    return this.inner.list(p);
  }
  mkdir(p: string) {
    return this.inner.mkdir(p);
  }
  async remove(p: string) {
    this.#spend();
    return this.inner.remove(p);
  }
  async write(p: string, data: WriteData) {
    const self = this;
    async function* gated() {
      for await (const chunk of chunksOf(data)) {
        self.#spend();
        yield chunk;
      }
    }
    return this.inner.write(p, gated());
  }
}

describe("kill safety", () => {
  it("50 saves interrupted at random points: the previous checkpoint always restores and latestCheckpoint never names an incomplete one", async () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let interrupted = 0;
    for (let run = 0; run < 50; run++) {
      const store = new FailingStore(new MemoryStore());
      const x = variable("x", f32(0, 0, 0));
      const manager = await CheckpointManager.open(store, new Checkpoint(store, { x }), {
        directory: "d",
        maxToKeep: 1,
      });
      const rounds = 2 + Math.floor(random() * 3);
      for (let i = 1; i <= rounds; i++) {
        x.value = f32(i, i * 10, i * 100);
        await manager.save();
      }
      // The next save dies after a random number of chunk writes / removes.
      store.budget = Math.floor(random() * 14);
      x.value = f32(-1, -1, -1);
      const died = await manager.save().then(
        () => false,
        () => true,
      );
      if (died) interrupted++;
      store.budget = Number.POSITIVE_INFINITY;
      const latest = await latestCheckpoint(store, "d");
      expect(latest).toBeDefined();
      const n = Number(latest!.split("-").pop());
      const back = new Checkpoint(store, { x: variable("x", f32(0, 0, 0)) });
      (await back.restore(latest!)).assertConsumed();
      // Named: the previous checkpoint, or the new one when the save died after naming it
      // (while deleting old files); either way whole.
      const expected = n === rounds + 1 ? [-1, -1, -1] : [n, n * 10, n * 100];
      expect(valuesOf(back.get("x") as SavedVariable)).toEqual(expected);
      expect(n === rounds || n === rounds + 1).toBe(true);
    }
    expect(interrupted).toBeGreaterThan(30);
  });
});
