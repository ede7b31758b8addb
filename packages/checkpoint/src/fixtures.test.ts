import { type HostTensor, MemoryStore, type SavedNode, bytesOf, childOf } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { fixturePath, readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import {
  OBJECT_GRAPH_KEY,
  latestCheckpoint,
  loadCheckpoint,
  readCheckpoint,
  readObjectGraph,
  writeCheckpoint,
} from "./index.js";

interface Expected {
  prefix: string;
  latest: string | null;
  tensors: { key: string; dtype: string; shape: number[]; npy?: string; hex?: string[]; bits?: string }[];
  object_graph: { nodes: { children?: { local_name: string; node_id?: number }[] }[] };
}

const CASES = ["dtypes", "module_tree", "custom_layer", "keras_optimizer", "transfer", "sharded", "slots"];

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe.each(CASES)("checkpoint fixture %s", (name) => {
  const expected = readFixtureJson<Expected>("checkpoints", name, "expected.json");
  const store = new NodeStore(fixturePath("checkpoints", name));

  it("reports the keys, dtypes and shapes tf.train.load_checkpoint reports", async () => {
    const reader = await loadCheckpoint(store, expected.prefix);
    expect([...reader.variableToDtypeMap()]).toEqual(expected.tensors.map((t) => [t.key, t.dtype]));
    expect([...reader.variableToShapeMap()]).toEqual(expected.tensors.map((t) => [t.key, t.shape]));
    expect(reader.listVariables()).toEqual(expected.tensors.map((t) => [t.key, t.shape]));
  });

  it("reads every tensor with the values Python read", async () => {
    const reader = await loadCheckpoint(store, expected.prefix);
    for (const t of expected.tensors) {
      const tensor = await reader.getTensor(t.key);
      expect(tensor.dtype).toBe(t.dtype);
      expect(tensor.shape).toEqual(t.shape);
      if (t.hex !== undefined) {
        expect((tensor.data as Uint8Array[]).map(hex), t.key).toEqual(t.hex);
      } else {
        const npy = readFixtureNpy("checkpoints", name, t.npy!);
        expect(hex(bytesOf((tensor as Exclude<HostTensor, { dtype: "string" }>).data)), t.key).toBe(
          hex(bytesOf(npy.data)),
        );
      }
    }
  });

  it("names the latest checkpoint as tf.train.latest_checkpoint does", async () => {
    expect((await latestCheckpoint(store, "")) ?? null).toBe(expected.latest);
  });

  it("reads the object graph into the saved tree", async () => {
    const reader = await loadCheckpoint(store, expected.prefix);
    const graph = await readObjectGraph(reader.bundle);
    expect(graph.nodes.map((n) => n.children.map((c) => c.localName))).toEqual(
      expected.object_graph.nodes.map((n) => (n.children ?? []).map((c) => c.local_name)),
    );
    const root = await readCheckpoint(store, expected.prefix);
    const counter = root.variables.find((v) => v.name === "save_counter");
    expect(counter?.value.data).toEqual(new BigInt64Array([BigInt(expected.latest?.split("-").pop() ?? "1")]));
    expect(reader.hasTensor(OBJECT_GRAPH_KEY)).toBe(true);
  });
});

describe("saved tree of real checkpoints", () => {
  it("the guide's custom layer: layer/var holds 5, named var_a", async () => {
    const root = await readCheckpoint(new NodeStore(fixturePath("checkpoints", "custom_layer")), "custom_layer-1");
    const layer = childOf(root, "layer")!;
    expect(layer.variables.map((v) => [v.name, v.path, Array.from(v.value.data as Int32Array)])).toEqual([
      ["var", "var_a", [5]],
    ]);
  });

  it("a shared module is one node reached by two edges", async () => {
    const root = await readCheckpoint(new NodeStore(fixturePath("checkpoints", "module_tree")), "ckpt-2");
    const mod = childOf(root, "root_mod")!;
    expect(childOf(mod, "inner")).toBe(childOf(mod, "again"));
    const table = childOf(mod, "table")!;
    expect(table.variables.map((v) => [v.name, Number(v.value.data[0])])).toEqual([
      ["b", 3],
      ["a", 4],
    ]);
    const note = root.variables.find((v) => v.name === "note")!;
    expect(new TextDecoder().decode((note.value.data as Uint8Array[])[0])).toBe("text");
  });

  it("slot variables link to their variables", async () => {
    const expected = readFixtureJson<Expected>("checkpoints", "slots", "expected.json");
    const root = await readCheckpoint(new NodeStore(fixturePath("checkpoints", "slots")), "ckpt-1");
    const net = childOf(root, "net") as SavedNode;
    const optimizer = childOf(root, "optimizer")!;
    const slots = optimizer.slots ?? [];
    expect(slots.map((s) => [s.original.name, s.slotName, s.slot.path])).toEqual([
      ["w", "m", "w/Adam"],
      ["b", "m", "b/Adam"],
      ["w", "v", "w/Adam_1"],
      ["b", "v", "b/Adam_1"],
    ]);
    expect(slots[0]!.original).toBe(net.variables[0]);
    const m = expected.tensors.find((t) => t.key === "net/w/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE")!;
    expect(Array.from(slots[0]!.slot.value.data as Float32Array)).toEqual(
      Array.from(readFixtureNpy("checkpoints", "slots", m.npy!).data as Float32Array),
    );
  });
});

describe.each(["dtypes", "module_tree", "custom_layer", "keras_optimizer", "transfer", "slots"])(
  "rewriting TensorFlow's %s checkpoint",
  (name) => {
    it("gives TensorFlow's .index and .data bytes back", async () => {
      const expected = readFixtureJson<Expected>("checkpoints", name, "expected.json");
      const store = new NodeStore(fixturePath("checkpoints", name));
      const root = await readCheckpoint(store, expected.prefix);
      const out = new MemoryStore();
      await writeCheckpoint(out, "x", root);
      expect(hex(await out.read("x.index"))).toBe(hex(await store.read(`${expected.prefix}.index`)));
      expect(hex(await out.read("x.data-00000-of-00001"))).toBe(
        hex(await store.read(`${expected.prefix}.data-00000-of-00001`)),
      );
    });
  },
);
