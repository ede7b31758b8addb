// docs/large-models.md: read a model's metadata without its weights (inspect), load only the
// layers you ask for (transfer learning), then the rest, each tensor by one range read.
import { ok, strictEqual } from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isPendingTensor, loadTreeValues, openSource, treeByteSize, walkSavedTree } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { readKerasH5 } from "@kerastore/h5";
import { readKerasArchive } from "@kerastore/keras-v3";
import { keras } from "kerastore";

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    const model = new keras.Sequential({
      layers: [
        keras.Input({ shape: [256] }),
        new keras.layers.Dense({ units: 512, name: "encoder" }),
        new keras.layers.Dense({ units: 10, name: "head" }),
      ],
    });
    await model.save(join(dir, "model.keras"));
    await model.saveWeights(join(dir, "model.weights.h5"));

    // Inspect: the zip's central directory and the HDF5 metadata, no weight bytes.
    const store = new NodeStore(dir);
    const archive = await readKerasArchive(store, { path: "model.keras", values: "lazy" });
    strictEqual(archive.weightsInPlace, true); // a stored member, read as a range of the archive
    strictEqual(treeByteSize(archive.data.root), (256 * 512 + 512 + 512 * 10 + 10) * 4);

    // Partial load: only the encoder's variables are read.
    await loadTreeValues(archive.data.root, { filter: (_variable, path) => path.at(-1) === "encoder" });
    for (const { node } of walkSavedTree(archive.data.root)) {
      for (const v of node.variables) strictEqual(isPendingTensor(v.value), node.name !== "encoder");
    }
    await archive.close();

    // Any HDF5 file by range: the metadata first, then each tensor when asked.
    const source = await openSource(store, "model.weights.h5");
    try {
      const file = await readKerasH5(source, { name: "model.weights.h5", values: "lazy" });
      const bytes = await loadTreeValues(file.data.root);
      strictEqual(bytes, treeByteSize(file.data.root));
      ok(![...walkSavedTree(file.data.root)].some(({ node }) => node.variables.some((v) => isPendingTensor(v.value))));
    } finally {
      await source.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
