import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Checkpoint,
  CheckpointManager,
  type CheckpointObject,
  latestCheckpoint,
  loadCheckpoint,
  variable,
} from "@kerastore/checkpoint";
import {
  type HostTensor,
  type SavedNode,
  type SavedVariable,
  bytesOf,
  hostTensor,
  stringTensor,
} from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { describe, expect, it } from "vitest";
import { runPythonJson } from "../src/index.js";

/** What tf.train.load_checkpoint sees: key -> [dtype, shape, digest of the values]. */
const PY_LOAD = `
import hashlib, json, sys
import numpy as np, tensorflow as tf

def digest(value):
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind == "S":
        return [bytes(b).hex() for b in arr.reshape(-1)]
    return hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()

out = {}
for prefix in sys.argv[1:]:
    r = tf.train.load_checkpoint(prefix)
    d, s = r.get_variable_to_dtype_map(), r.get_variable_to_shape_map()
    out[prefix] = {k: [d[k].name, list(s[k]), None if k == "_CHECKPOINTABLE_OBJECT_GRAPH" else digest(r.get_tensor(k))] for k in d}
print(json.dumps(out))
`;

function digest(t: HostTensor): string | string[] {
  if (t.dtype === "string") return t.data.map((b) => Buffer.from(b).toString("hex"));
  return createHash("sha256").update(bytesOf(t.data)).digest("hex");
}

const DTYPE_VALUES = (): Record<string, HostTensor> => ({
  v_bool: hostTensor("bool", [3], Uint8Array.from([1, 0, 1])),
  v_int8: hostTensor("int8", [2], Int8Array.from([-128, 127])),
  v_int16: hostTensor("int16", [2], Int16Array.from([-300, 300])),
  v_int32: hostTensor("int32", [2, 2], Int32Array.from([1, -2, 3, -4])),
  v_int64: hostTensor("int64", [2], BigInt64Array.from([-(2n ** 63n), 2n ** 62n])),
  v_uint8: hostTensor("uint8", [1], Uint8Array.from([255])),
  v_uint16: hostTensor("uint16", [1], Uint16Array.from([65535])),
  v_uint32: hostTensor("uint32", [1], Uint32Array.from([4294967295])),
  v_uint64: hostTensor("uint64", [1], BigUint64Array.from([2n ** 64n - 1n])),
  v_float16: hostTensor("float16", [2], Uint16Array.from([0x3c00, 0xc000])),
  v_bfloat16: hostTensor("bfloat16", [2], Uint16Array.from([0x3f80, 0x4000])),
  v_float32: hostTensor("float32", [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6.5])),
  v_float64: hostTensor("float64", [], Float64Array.from([Math.PI])),
  v_complex64: hostTensor("complex64", [1], Float32Array.from([1.5, -2])),
  v_complex128: hostTensor("complex128", [1], Float64Array.from([1e300, -1e-300])),
  v_empty: hostTensor("float32", [0, 3], new Float32Array(0)),
  s_scalar: stringTensor([], ["h\u00e9llo"]),
  s_array: stringTensor([2, 2], ["", "abc", new Uint8Array([0, 255, 10]), "x".repeat(300)]),
});

describe("TF checkpoints written by Kerastore, read by TensorFlow", () => {
  const dir = mkdtempSync(join(tmpdir(), "kerastore-ckpt-"));
  const store = new NodeStore(dir);

  it("plain variables of every dtype load in tf.train.load_checkpoint with equal keys and values, and the .index is byte-identical to TensorFlow's", async () => {
    const values = DTYPE_VALUES();
    const objects: Record<string, CheckpointObject> = {};
    for (const [name, value] of Object.entries(values)) objects[name] = variable(name, value);
    const ckpt = new Checkpoint(store, objects);
    await ckpt.write("ours/plain");
    const ours = await loadCheckpoint(store, "ours/plain");
    const seen = await runPythonJson<Record<string, Record<string, [string, number[], unknown]>>>(PY_LOAD, {
      args: [join(dir, "ours/plain")],
    });
    const py = seen[join(dir, "ours/plain")]!;
    expect(Object.keys(py).sort()).toEqual(ours.listVariables().map(([k]) => k));
    for (const [name, value] of Object.entries(values)) {
      const key = `${name}/.ATTRIBUTES/VARIABLE_VALUE`;
      expect(py[key], key).toEqual([value.dtype, [...value.shape], digest(value)]);
    }
    // TensorFlow writes the same variables (read back from our files, same names) with
    // tf.train.Checkpoint(...).write; both files must be the same bytes.
    const same = await runPythonJson<{ ok: boolean }>(
      `
import sys, json, tensorflow as tf
r = tf.train.load_checkpoint(sys.argv[1])
names = sorted(k.split("/")[0] for k in r.get_variable_to_dtype_map() if k != "_CHECKPOINTABLE_OBJECT_GRAPH")
objs = {n: tf.Variable(r.get_tensor(n + "/.ATTRIBUTES/VARIABLE_VALUE"), name=n) for n in names}
tf.train.Checkpoint(**objs).write(sys.argv[2])
print(json.dumps({"ok": True}))
`,
      { args: [join(dir, "ours/plain"), join(dir, "theirs/plain")] },
    );
    expect(same.ok).toBe(true);
    const theirs = readFileSync(join(dir, "theirs/plain.index"));
    const mine = readFileSync(join(dir, "ours/plain.index"));
    expect(Buffer.compare(mine, theirs), "the .index files differ").toBe(0);
    expect(
      Buffer.compare(
        readFileSync(join(dir, "ours/plain.data-00000-of-00001")),
        readFileSync(join(dir, "theirs/plain.data-00000-of-00001")),
      ),
    ).toBe(0);
  });

  it("nested objects and slot variables restore in Python with assert_consumed()", async () => {
    const f32 = (shape: number[], values: number[]) => hostTensor("float32", shape, Float32Array.from(values));
    const w: SavedVariable = variable("w", f32([2, 2], [1, -2, 0.5, 3]), "w");
    const b: SavedVariable = variable("b", f32([2], [0.25, -0.75]), "b");
    const net: SavedNode = { className: "Module", variables: [w, b], children: [] };
    const slot = (v: SavedVariable, name: string, suffix: string, k: number): SavedVariable =>
      variable(
        name,
        f32(
          [...v.value.shape],
          Array.from(v.value.data as Float32Array, (x) => x * k),
        ),
        `${v.path}/${suffix}`,
      );
    const optimizer: SavedNode = {
      className: "AdamOptimizer",
      variables: [
        variable("beta1_power", f32([], [0.81]), "beta1_power"),
        variable("beta2_power", f32([], [0.998]), "beta2_power"),
      ],
      children: [],
      slots: [
        { original: w, slotName: "m", slot: slot(w, "m", "Adam", 10) },
        { original: b, slotName: "m", slot: slot(b, "m", "Adam", 10) },
        { original: w, slotName: "v", slot: slot(w, "v", "Adam_1", 100) },
        { original: b, slotName: "v", slot: slot(b, "v", "Adam_1", 100) },
      ],
    };
    const inner: SavedNode = {
      className: "Module",
      variables: [variable("steps", hostTensor("int64", [], BigInt64Array.from([7n])))],
      children: [],
    };
    const tree: SavedNode = {
      className: "Module",
      variables: [variable("note", stringTensor([], ["text"]))],
      children: [
        { name: "inner", node: inner },
        { name: "again", node: inner },
      ],
    };
    const ckpt = new Checkpoint(store, { net, optimizer, tree });
    const first = await ckpt.save("ours/nested/ckpt");
    const second = await ckpt.save("ours/nested/ckpt");
    expect([first, second]).toEqual(["ours/nested/ckpt-1", "ours/nested/ckpt-2"]);
    expect(await latestCheckpoint(store, "ours/nested")).toBe("ours/nested/ckpt-2");
    const result = await runPythonJson<Record<string, unknown>>(
      `
import sys, json, numpy as np, tensorflow as tf
w = tf.Variable(tf.zeros((2, 2)), name="w")
b = tf.Variable(tf.zeros((2,)), name="b")
opt = tf.compat.v1.train.AdamOptimizer(0.1)
opt.minimize(lambda: tf.reduce_sum(w) + tf.reduce_sum(b), var_list=[w, b])
net = tf.Module(); net.w = w; net.b = b
inner = tf.Module(); inner.steps = tf.Variable(tf.constant(0, tf.int64))
tree = tf.Module(); tree.note = tf.Variable(b""); tree.inner = inner; tree.again = inner
ck = tf.train.Checkpoint(net=net, optimizer=opt, tree=tree)
latest = tf.train.latest_checkpoint(sys.argv[1])
ck.restore(latest).assert_consumed()
print(json.dumps({
  "latest": latest, "w": w.numpy().tolist(), "b": b.numpy().tolist(),
  "m_w": opt.get_slot(w, "m").numpy().tolist(), "v_b": opt.get_slot(b, "v").numpy().tolist(),
  "steps": int(inner.steps.numpy()), "note": tree.note.numpy().decode(), "save_counter": int(ck.save_counter.numpy()),
}))
`,
      { args: [join(dir, "ours/nested")] },
    );
    expect(result).toEqual({
      latest: join(dir, "ours/nested/ckpt-2"),
      w: [
        [1, -2],
        [0.5, 3],
      ],
      b: [0.25, -0.75],
      m_w: [
        [10, -20],
        [5, 30],
      ],
      v_b: [25, -75],
      steps: 7,
      note: "text",
      save_counter: 2,
    });
  });

  it("a CheckpointManager series is what tf.train.CheckpointManager sees, and Python checkpoints restore into ours", async () => {
    const x = variable("x", hostTensor("float32", [3], Float32Array.from([1, 2, 3])));
    const ckpt = new Checkpoint(store, { x });
    const manager = await CheckpointManager.open(store, ckpt, { directory: "managed", maxToKeep: 2 });
    for (let i = 0; i < 4; i++) {
      x.value = hostTensor("float32", [3], Float32Array.from([i, i, i]));
      await manager.save();
    }
    expect(manager.checkpoints).toEqual(["managed/ckpt-3", "managed/ckpt-4"]);
    const py = await runPythonJson<{ kept: string[]; counter: number }>(
      `
import sys, json, tensorflow as tf
x = tf.Variable(tf.zeros((3,)))
ck = tf.train.Checkpoint(x=x)
m = tf.train.CheckpointManager(ck, sys.argv[1], max_to_keep=2)
ck.restore(m.latest_checkpoint).assert_consumed()
x.assign([7.0, 8.0, 9.0])
ck.save(sys.argv[1] + "/py")
print(json.dumps({"kept": m.checkpoints, "counter": int(ck.save_counter.numpy())}))
`,
      { args: [join(dir, "managed")] },
    );
    expect(py.kept).toEqual([join(dir, "managed/ckpt-3"), join(dir, "managed/ckpt-4")]);
    expect(py.counter).toBe(5);
    // Python saved py-5; read it back into ours.
    const mine = new Checkpoint(store, { x: variable("x", hostTensor("float32", [3], new Float32Array(3))) });
    const prefix = await latestCheckpoint(store, "managed");
    expect(prefix).toBe("managed/py-5");
    (await mine.restore(prefix!)).assertConsumed();
    expect(Array.from((mine.get("x") as SavedVariable).value.data as Float32Array)).toEqual([7, 8, 9]);
    expect(mine.saveCounter).toBe(5);
  });
});
