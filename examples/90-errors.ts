// docs/errors.md: one error vocabulary, and `isKerastoreError(e, code?)`, the guard that also
// holds for errors thrown by another installed copy of a package.
import { ok, rejects } from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isKerastoreError, keras } from "kerastore";

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    // An HDF5 signature followed by garbage: a `corrupt` (or `not-hdf5`) error naming the file.
    const path = join(dir, "broken.keras");
    await writeFile(path, new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]));
    await rejects(keras.models.loadModel(path), (e: unknown) => {
      ok(isKerastoreError(e), "a Kerastore error");
      ok(e.message.includes("broken.keras"), e.message);
      ok(isKerastoreError(e, e.code), "its own code matches");
      ok(!isKerastoreError(e, "weight-mismatch"), "another code does not");
      return true;
    });

    // A caller's mistake is `invalid-argument` in every package.
    const model = new keras.Sequential({ layers: [keras.Input({ shape: [2] }), new keras.layers.Dense({ units: 1 })] });
    await model.saveWeights(join(dir, "model.weights.h5"));
    await rejects(model.loadWeights(join(dir, "model.weights.h5"), { byName: true }), (e: unknown) =>
      isKerastoreError(e, "invalid-argument"),
    );
    model.dispose();

    // Plain errors and look-alikes are not Kerastore errors.
    ok(!isKerastoreError(new Error("cannot read x: no")));
    ok(!isKerastoreError({ code: "corrupt", message: "look-alike" }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
