import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CheckpointError, loadCheckpoint } from "@kerastore/checkpoint";
import { MemoryStore, toFloat32 } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { Layer, Variable, tf } from "@kerastore/engine";
import { fixturePath, readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FacadeError, keras } from "../node.js";
import { runCli } from "../cli/run.js";

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-live-ckpt-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const { Dense } = keras.layers;
const flat = (v: Variable) => Array.from(toFloat32(v.read()));

function dense(units: number, inputs: number, name?: string) {
  const layer = new Dense({ units, ...(name === undefined ? {} : { name }) });
  layer.build([null, inputs]);
  return layer;
}

/** The guide's CustomLayer: an int32 variable tracked as `var` (named var_a in Python). */
class CustomLayer extends Layer {
  readonly v: Variable;
  constructor(a: number) {
    super({ name: "custom_layer" });
    this.v = this.addWeight({ name: "var", shape: [], dtype: "int32", initializer: "zeros", trainable: true });
    this.v.assign(Int32Array.of(a));
  }
}

describe("keras.Checkpoint over live objects", () => {
  it("the guide's ContrivedModel case: Checkpoint(dense, kernel, bias).save then restore into other objects, assertConsumed", async () => {
    const first = dense(64, 784, "dense_1");
    const last = dense(10, 64, "predictions");
    const prefix = join(dir, "contrived", "ckpt");
    const saved = await new keras.Checkpoint({
      dense: first,
      kernel: last.ownWeights[0]!,
      bias: last.ownWeights[1]!,
    }).save(prefix);
    expect(saved).toBe(`${prefix}-1`);
    const reader = await loadCheckpoint(new NodeStore(join(dir, "contrived")), "ckpt-1");
    expect([...reader.variableToDtypeMap()].sort()).toEqual([
      ["_CHECKPOINTABLE_OBJECT_GRAPH", "string"],
      ["bias/.ATTRIBUTES/VARIABLE_VALUE", "float32"],
      ["dense/bias/.ATTRIBUTES/VARIABLE_VALUE", "float32"],
      ["dense/kernel/.ATTRIBUTES/VARIABLE_VALUE", "float32"],
      ["kernel/.ATTRIBUTES/VARIABLE_VALUE", "float32"],
      ["save_counter/.ATTRIBUTES/VARIABLE_VALUE", "int64"],
    ]);
    expect(await keras.train.latestCheckpoint(join(dir, "contrived"))).toBe(`${prefix}-1`);

    const firstDense = dense(64, 784);
    const kernel = new Variable("kernel", "contrived/kernel", tf.zeros([64, 10]), true);
    const bias = new Variable("bias", "contrived/bias", tf.zeros([10]), true);
    const ckpt = new keras.Checkpoint({ dense: firstDense, kernel, bias });
    (await ckpt.restore(saved)).assertConsumed();
    expect(ckpt.saveCounter).toBe(1);
    expect(flat(firstDense.ownWeights[0]!)).toEqual(flat(first.ownWeights[0]!));
    expect(flat(kernel)).toEqual(flat(last.ownWeights[0]!));
    expect(flat(bias)).toEqual(flat(last.ownWeights[1]!));
  });

  it("restores the Checkpoint Keras 3 wrote for the same case (dense/_kernel) into live objects", async () => {
    const expected = readFixtureJson("checkpoints", "transfer/expected.json") as {
      prefix: string;
      tensors: { key: string; npy?: string }[];
    };
    const npy = (key: string) =>
      toFloat32(readFixtureNpy("checkpoints", `transfer/${expected.tensors.find((t) => t.key === key)!.npy}`));
    const first = dense(4, 6);
    const kernel = new Variable("kernel", "kernel", tf.zeros([4, 3]), true);
    const bias = new Variable("bias", "bias", tf.zeros([3]), true);
    const ckpt = new keras.Checkpoint({ dense: first, kernel, bias });
    (await ckpt.restore(fixturePath("checkpoints", `transfer/${expected.prefix}`))).assertConsumed();
    expect(flat(first.ownWeights[0]!)).toEqual(Array.from(npy("dense/_kernel/.ATTRIBUTES/VARIABLE_VALUE")));
    expect(flat(first.ownWeights[1]!)).toEqual(Array.from(npy("dense/bias/.ATTRIBUTES/VARIABLE_VALUE")));
    expect(flat(kernel)).toEqual(Array.from(npy("kernel/.ATTRIBUTES/VARIABLE_VALUE")));
  });

  it("the guide's custom layer: keys by attribute name (var), int32 and the save counter", async () => {
    const store = new MemoryStore();
    const path = await new keras.Checkpoint({ layer: new CustomLayer(5) }, { store }).save("custom_layer");
    expect(path).toBe("custom_layer-1");
    const reader = await loadCheckpoint(store, path);
    expect(Object.fromEntries(reader.variableToDtypeMap())).toEqual({
      "save_counter/.ATTRIBUTES/VARIABLE_VALUE": "int64",
      _CHECKPOINTABLE_OBJECT_GRAPH: "string",
      "layer/var/.ATTRIBUTES/VARIABLE_VALUE": "int32",
    });
    expect(Array.from((await reader.getTensor("layer/var/.ATTRIBUTES/VARIABLE_VALUE")).data as Int32Array)).toEqual([
      5,
    ]);
    const again = new CustomLayer(0);
    (await new keras.Checkpoint({ layer: again }, { store }).restore(path)).assertConsumed();
    expect(flat(again.v)).toEqual([5]);
    // The checkpoint Python wrote for the same layer restores too.
    const fromPython = new CustomLayer(0);
    (
      await new keras.Checkpoint({ layer: fromPython }).restore(
        fixturePath("checkpoints", "custom_layer/custom_layer-1"),
      )
    ).assertConsumed();
    expect(flat(fromPython.v)).toEqual([5]);
  });

  it("write, read, the save counter, and a CheckpointManager keeping maxToKeep", async () => {
    const layer = dense(2, 3, "d");
    const store = new MemoryStore();
    const ckpt = new keras.Checkpoint({ net: layer }, { store });
    expect(await ckpt.write("w/exact")).toBe("w/exact");
    expect(await store.exists("w/exact.index")).toBe(true);
    expect(ckpt.saveCounter).toBe(0);
    const manager = await keras.train.CheckpointManager.open(ckpt, { directory: "run", maxToKeep: 2 });
    const firstKernel = flat(layer.ownWeights[0]!);
    for (let i = 0; i < 3; i++) {
      layer.ownWeights[0]!.assign(Float32Array.from({ length: 6 }, (_, j) => i * 10 + j));
      await manager.save();
    }
    expect(manager.checkpoints).toEqual(["run/ckpt-2", "run/ckpt-3"]);
    expect(manager.latestCheckpoint).toBe("run/ckpt-3");
    expect(await store.exists("run/ckpt-1.index")).toBe(false);
    expect(await keras.train.latestCheckpoint("run", { store })).toBe("run/ckpt-3");
    const restored = dense(2, 3);
    const other = new keras.Checkpoint({ net: restored }, { store });
    (await other.read("run/ckpt-2")).assertConsumed();
    expect(flat(restored.ownWeights[0]!)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(other.saveCounter).toBe(2);
    (await other.read("w/exact")).assertExistingObjectsMatched();
    expect(flat(restored.ownWeights[0]!)).toEqual(firstKernel);
  });

  it("a mismatched shape is an error and leaves the live objects as they were", async () => {
    const store = new MemoryStore();
    await new keras.Checkpoint({ net: dense(2, 3) }, { store }).write("c");
    const wrong = dense(4, 3);
    const before = flat(wrong.ownWeights[0]!);
    await expect(new keras.Checkpoint({ net: wrong }, { store }).read("c")).rejects.toThrow(CheckpointError);
    expect(flat(wrong.ownWeights[0]!)).toEqual(before);
    expect(() => new keras.Checkpoint({ net: 3 as never })).toThrow(FacadeError);
  });
});

describe("the CLI and checkpoints", () => {
  it("convert --to checkpoint writes the model's weights under tf.keras 2 names; inspect lists them", async () => {
    const model = new keras.Sequential({ layers: [keras.Input({ shape: [3] }), new Dense({ units: 2, name: "out" })] });
    const source = join(dir, "cli.keras");
    await model.save(source);
    const out: string[] = [];
    const io = { stdout: (s: string) => out.push(s), stderr: (s: string) => out.push(s) };
    expect(await runCli(["convert", source, join(dir, "cli", "ckpt"), "--to", "checkpoint"], io)).toBe(0);
    expect(await readFile(join(dir, "cli", "checkpoint"), "utf8")).toContain('model_checkpoint_path: "ckpt"');
    out.length = 0;
    expect(await runCli(["inspect", join(dir, "cli", "ckpt")], io)).toBe(0);
    const text = out.join("");
    expect(text).toContain("layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE  float32  (3, 2)");
    expect(text).toContain("layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE  float32  (2,)");
  });
});
