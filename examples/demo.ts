// The main demo: the guide's whole-model round trip, in every format Kerastore writes.
// Builds the guide's get_model(), saves it as a SavedModel directory (the guide's default),
// .keras, .h5, .weights.h5 and a TF checkpoint, loads each back (the SavedModel also as a plain
// graph), and shows that the predictions are the same.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, hostTensor, toFloat32 } from "@kerastore/core";
import { keras } from "kerastore";

function maxDiff(a: HostTensor, b: HostTensor): number {
  const x = toFloat32(a);
  const y = toFloat32(b);
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
}

await keras.ready();
const dir = await mkdtemp(join(tmpdir(), "kerastore-demo-"));
try {
  const inputs = keras.Input({ shape: [32] });
  const outputs = new keras.layers.Dense({ units: 1 }).apply(inputs);
  const model = new keras.Model({ inputs, outputs });
  model.summary();

  const x = hostTensor(
    "float32",
    [4, 32],
    Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)),
  );
  const y = model.predict(x) as HostTensor;

  await model.save(join(dir, "my_model"));
  await model.save(join(dir, "my_model.keras"));
  await model.save(join(dir, "my_h5_model.h5"));
  await model.saveWeights(join(dir, "weights.weights.h5"));
  await model.saveWeights(join(dir, "ckpt"));
  console.log(`\nwrote ${(await readdir(dir)).sort().join(", ")} in ${dir}`);

  for (const file of ["my_model", "my_model.keras", "my_h5_model.h5"]) {
    const loaded = await keras.models.loadModel(join(dir, file));
    console.log(
      `${file}: loaded ${loaded.className}, max |difference| of predictions = ${maxDiff(loaded.predict(x) as HostTensor, y)}`,
    );
  }
  const graph = await keras.savedModel.load(join(dir, "my_model"));
  const served = (await graph.functions.__call__!(x)) as HostTensor;
  console.log(`my_model as a plain graph (tf.saved_model.load): max |difference| = ${maxDiff(served, y)}`);
  graph.dispose();
  for (const file of ["weights.weights.h5", "ckpt"]) {
    const fresh = keras.models.cloneModel(model);
    const result = await fresh.loadWeights(join(dir, file));
    console.log(
      `${file}: ${result.loaded} variables loaded (${result.format}), max |difference| = ${maxDiff(fresh.predict(x) as HostTensor, y)}`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
