import { createHash } from "node:crypto";
import {
  type RandomAccessSource,
  type SavedNode,
  bytesOf,
  bytesSource,
  isPendingTensor,
  loadTreeValues,
  treeByteSize,
  walkSavedTree,
} from "@kerastore/core";
import { readFixture, readFixtureJson } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { zipSync } from "fflate";
import { openKerasArchive, readKerasArchive, writeKerasArchive } from "./index.js";

const models = readFixtureJson<{ models: { name: string; files: string[] }[] }>("models", "index.json").models.filter(
  (m) => m.files.includes("model.keras"),
);

function digest(root: SavedNode): string[] {
  const out: string[] = [];
  for (const { node, path } of walkSavedTree(root)) {
    for (const v of node.variables) {
      const value = v.value;
      const hash =
        value.dtype === "string" ? "strings" : createHash("sha256").update(bytesOf(value.data)).digest("hex");
      out.push(`${path.join("/")} ${v.path} ${value.dtype} [${value.shape}] ${hash}`);
    }
  }
  return out.sort();
}

function counting(inner: RandomAccessSource): RandomAccessSource & { bytes: number } {
  const out = {
    description: inner.description,
    size: inner.size,
    bytes: 0,
    read: (offset: number, length: number) => {
      out.bytes += length;
      return inner.read(offset, length);
    },
    close: () => inner.close(),
  };
  return out;
}

describe("a .keras read by range gives what reading its bytes gives", () => {
  for (const model of models) {
    it(`${model.name} (Python-written, stored weights member read in place)`, async () => {
      const bytes = readFixture("models", model.name, "model.keras");
      const whole = await readKerasArchive(bytes);
      const source = counting(bytesSource(bytes, "model.keras"));
      const lazy = await readKerasArchive(source, { values: "lazy" });
      expect(lazy.weightsInPlace).toBe(true);
      const metadataBytes = source.bytes;
      expect(treeByteSize(lazy.data.root)).toBe(treeByteSize(whole.data.root));
      await loadTreeValues(lazy.data.root);
      expect(digest(lazy.data.root)).toEqual(digest(whole.data.root));
      // Metadata, then each tensor's bytes once (blocks of metadata may overlap small tensors).
      expect(source.bytes - metadataBytes).toBe(treeByteSize(whole.data.root));
      await lazy.close();
    });
  }

  it("a deflated weights member falls back to inflating it whole, and says so", async () => {
    const bytes = readFixture("models", models[0]!.name, "model.keras");
    const whole = await readKerasArchive(bytes);
    const files = await openKerasArchive(bytes);
    const members: Record<string, [Uint8Array, { level: 6 }]> = {};
    for (const name of files.names) members[name] = [await files.read(name), { level: 6 }];
    const deflated = zipSync(members);
    const again = await readKerasArchive(deflated, { values: "lazy" });
    expect(again.weightsInPlace).toBe(false);
    await loadTreeValues(again.data.root);
    expect(digest(again.data.root)).toEqual(digest(whole.data.root));
  });

  it("lazy values stay in the file until loaded", async () => {
    const bytes = await writeKerasArchive(
      (await readKerasArchive(readFixture("models", models[0]!.name, "model.keras"))).data,
    );
    const lazy = await readKerasArchive(bytesSource(bytes), { values: "lazy" });
    const values = [...walkSavedTree(lazy.data.root)].flatMap(({ node }) => node.variables.map((v) => v.value));
    expect(values.length).toBeGreaterThan(0);
    expect(values.every(isPendingTensor)).toBe(true);
  });
});
