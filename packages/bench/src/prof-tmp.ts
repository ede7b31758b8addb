import { initBackend, registerGradients, tf } from "@kerastore/engine";
import { ours } from "./training.bench.js";
import { WORKLOADS } from "./workloads.js";
await initBackend();
await registerGradients();
const w = WORKLOADS.find((x) => x.key === "resnet")!;
const model = ours(w);
model.compile({ optimizer: "adam", loss: w.loss });
const x = tf.randomUniform([w.batch, ...w.input]);
const y = tf.oneHot(tf.zeros([w.batch], "int32"), w.classes);
for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
const info = await tf.profile(async () => {
  await model.trainOnBatch(x, y);
});
const by = new Map<string, { ms: number; n: number }>();
for (const k of info.kernels) {
  if (!["Identity", "Cast", "Multiply", "Sum", "Mean"].includes(k.name)) continue;
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const e = by.get(key) ?? { ms: 0, n: 0 };
  e.ms += Number(k.kernelTimeMs);
  e.n++;
  by.set(key, e);
}
for (const [key, e] of [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14))
  console.log(e.ms.toFixed(1).padStart(8), String(e.n).padStart(4), (e.ms / e.n).toFixed(1).padStart(6), key);
process.exit(0);
