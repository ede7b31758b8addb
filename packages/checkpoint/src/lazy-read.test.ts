import {
  type HostTensor,
  type SavedNode,
  type Store,
  bytesOf,
  isPendingTensor,
  loadTreeValues,
  treeByteSize,
  walkSavedTree,
} from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { fixturePath, readFixtureJson } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { readCheckpoint } from "./index.js";

const CASES = ["module_tree", "custom_layer", "keras_optimizer", "transfer", "sharded", "slots"];

function values(root: SavedNode): string[] {
  const out: string[] = [];
  for (const { node, path } of walkSavedTree(root)) {
    for (const v of node.variables) out.push(`${path.join("/")}/${v.name} ${hexOf(v.value)}`);
    for (const s of node.slots ?? []) out.push(`${path.join("/")}/${s.slotName} ${hexOf(s.slot.value)}`);
  }
  return out.sort();
}

function hexOf(t: HostTensor): string {
  return t.dtype === "string"
    ? t.data.map((b) => Buffer.from(b).toString("hex")).join(",")
    : Buffer.from(bytesOf(t.data)).toString("hex");
}

/** A store that counts the data bytes read from `.data-*` shards. */
function counting(inner: NodeStore): Store & { dataBytes: number } {
  const out: Store & { dataBytes: number } = {
    description: inner.description,
    dataBytes: 0,
    read: (path) => inner.read(path),
    readRange: (path, offset, length) => {
      if (path.includes(".data-")) out.dataBytes += length;
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

describe.each(CASES)("checkpoint fixture %s read lazily", (name) => {
  const { prefix } = readFixtureJson<{ prefix: string }>("checkpoints", name, "expected.json");
  it("reads the .index only, then each value by range when loaded, the same values", async () => {
    const store = counting(new NodeStore(fixturePath("checkpoints", name)));
    const eager = await readCheckpoint(store, prefix);
    store.dataBytes = 0;
    const lazy = await readCheckpoint(store, prefix, { values: "lazy" });
    const graphBytes = store.dataBytes;
    const pending = [...walkSavedTree(lazy)].flatMap(({ node }) =>
      node.variables.filter((v) => isPendingTensor(v.value)),
    );
    expect(pending.length).toBeGreaterThan(0);
    await loadTreeValues(lazy);
    expect(values(lazy)).toEqual(values(eager));
    expect(store.dataBytes - graphBytes).toBeLessThanOrEqual(treeByteSize(eager));
  });
});
