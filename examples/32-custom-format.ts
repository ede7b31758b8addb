// Adding a file format of your own: a `ModelReader` and `ModelWriter` over plain data (the
// saved object tree, docs/saved-tree.md), written only against the public packages
// (examples/formats/npy-folder-format.ts), added to a registry by you. `loadModel`, `save`,
// `saveWeights` and `loadWeights` then pick it by name, extension or content like the
// built-in formats, and the `kerastore` CLI uses it through `--plugin`.
import { ok, strictEqual } from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type NumericHostTensor, readNpy, toFloat32, writeNpy } from "@kerastore/core";
import { defaultFormatRegistry, keras, loadModel, loadWeights, saveWeights } from "kerastore";
import { npyFolderFormat } from "./formats/npy-folder-format.js";

const here = dirname(fileURLToPath(import.meta.url));

function sameValues(a: NumericHostTensor, b: NumericHostTensor, what: string): void {
  const x = toFloat32(a);
  const y = toFloat32(b);
  strictEqual(x.length, y.length, `${what}: size`);
  ok(
    x.every((v, i) => Math.abs(v - y[i]!) <= 1e-6 * (1 + Math.abs(y[i]!))),
    `${what}: values`,
  );
}

/** The `kerastore` command, as `npx kerastore` runs it (here from the repository's source). */
function kerastoreCli(...args: string[]): string {
  const main = join(here, "..", "packages", "kerastore", "src", "cli", "main.ts");
  const run = spawnSync(process.execPath, ["--import", "tsx", "--conditions=source", main, ...args], {
    encoding: "utf8",
    cwd: here,
  });
  strictEqual(run.status, 0, `kerastore ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    // 1. The user registers the format: a registry holding the built-ins and it.
    const formats = defaultFormatRegistry();
    formats.add(npyFolderFormat);

    const model = new keras.Sequential({
      layers: [
        keras.Input({ shape: [4] }),
        new keras.layers.Dense({ units: 3, name: "hidden" }),
        new keras.layers.Dense({ units: 2, name: "out" }),
      ],
    });
    const x = {
      dtype: "float32",
      shape: [2, 4],
      data: new Float32Array([0.1, -0.2, 0.3, 0.4, 1, 2, -3, 0.5]),
    } as const;

    // 2. save and loadModel: the whole model, picked by the .npyfolder extension, typed options.
    const target = join(dir, "model.npyfolder");
    await model.save(target, { formats, settings: { indent: 2 } });
    strictEqual((await readdir(target)).sort().join(","), "hidden,model.json,npy-weights.json,out");
    const loaded = await loadModel(target, { formats });
    sameValues(loaded.predict(x) as NumericHostTensor, model.predict(x) as NumericHostTensor, "loadModel");

    // 3. saveWeights and loadWeights: the same format, weights only.
    const weights = join(dir, "weights.npyfolder");
    await saveWeights(model, weights, { formats });
    const other = keras.models.cloneModel(model);
    const result = await loadWeights(other, weights, { formats });
    strictEqual(result.format, "npy-folder");
    strictEqual(result.loaded, 4);
    sameValues(other.predict(x) as NumericHostTensor, model.predict(x) as NumericHostTensor, "loadWeights");

    // 4. The CLI, with the format as a plug-in: convert to it, inspect it, predict from it.
    const plugin = join(here, "formats", "npy-folder-format.ts");
    const h5 = join(dir, "model.h5");
    await model.save(h5);
    const converted = join(dir, "converted.npyfolder");
    kerastoreCli("convert", h5, converted, "--plugin", plugin);
    ok(
      kerastoreCli("inspect", converted, "--plugin", plugin).includes("a folder of .npy weights"),
      "inspect names the plug-in's format",
    );
    await writeFile(join(dir, "x.npy"), writeNpy(x));
    kerastoreCli(
      "predict",
      converted,
      "--input",
      join(dir, "x.npy"),
      "--output",
      join(dir, "y.npy"),
      "--plugin",
      plugin,
    );
    sameValues(readNpy(await readFile(join(dir, "y.npy"))), model.predict(x) as NumericHostTensor, "kerastore predict");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
