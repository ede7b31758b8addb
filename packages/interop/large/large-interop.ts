// `pnpm test:large`: Python Keras 3.15 and Kerastore exchange a ~3 GiB model (12 Dense(8192)
// layers, float32) as a `.keras` archive and as Keras 3 sharded weights, both ways, and each
// side checks every weight against the pattern both use. Too slow and too big for CI (it
// writes ~12 GiB and holds ~3.5 GiB per process); its numbers go to docs/benchmarks.md.
// Exits non-zero on any mismatch. KERASTORE_LARGE_LAYERS overrides the layer count (256 MiB each).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type HostTensor, type JsonObject, type RandomAccessSource, type SavedModelData, type SavedNode, hostTensor, loadTreeValues, openSource, treeByteSize, walkSavedTree } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { keras3WeightsShards, readKeras3WeightsShards } from "@kerastore/h5";
import { readKerasArchive, writeKerasArchiveTo } from "@kerastore/keras-v3";
import { referencePython } from "../src/python.js";

const UNITS = 8192;
const layers = Number(process.env.KERASTORE_LARGE_LAYERS ?? 12);
const here = dirname(fileURLToPath(import.meta.url));
const script = resolve(here, "../python/large_interop.py");
const GiB = 2 ** 30;

function pattern(): Float32Array {
  const k = new Float32Array(UNITS * UNITS);
  for (let i = 0; i < k.length; i++) k[i] = (i % 1001) / 1000 - 0.5;
  return k;
}

function model(kernel: Float32Array): SavedModelData {
  const children: { name: string; node: SavedNode }[] = [];
  const configs: JsonObject[] = [];
  for (let l = 0; l < layers; l++) {
    const name = l === 0 ? "dense" : `dense_${l}`;
    const config: JsonObject = { name, trainable: true, dtype: "float32", units: UNITS, activation: "linear", use_bias: true };
    configs.push({ module: "keras.layers", class_name: "Dense", config, registered_name: null, build_config: { input_shape: [null, UNITS] } });
    const node: SavedNode = {
      className: "Dense",
      name,
      config,
      variables: [
        { name: "kernel", path: `${name}/kernel`, trainable: true, value: hostTensor("float32", [UNITS, UNITS], kernel) },
        { name: "bias", path: `${name}/bias`, trainable: true, value: hostTensor("float32", [UNITS], new Float32Array(UNITS).fill(l)) },
      ],
      children: [],
    };
    children.push({ name, node });
  }
  const input: JsonObject = { module: "keras.layers", class_name: "InputLayer", config: { batch_shape: [null, UNITS], dtype: "float32", sparse: false, name: "input_layer" }, registered_name: null };
  const config: JsonObject = { name: "large", trainable: true, dtype: "float32", layers: [input, ...configs] };
  return {
    root: { className: "Sequential", name: "large", config, variables: [], children },
    modelConfig: { module: "keras", class_name: "Sequential", config, registered_name: null, build_config: { input_shape: [null, UNITS] } },
    kerasVersion: "3.15.1",
  };
}

function python(...args: string[]): Record<string, unknown> {
  const r = spawnSync(referencePython(), [script, ...args], {
    encoding: "utf8",
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "3", KERAS_BACKEND: "tensorflow", CUDA_VISIBLE_DEVICES: "" },
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`python ${args.join(" ")} failed (${r.status}):\n${r.stderr.slice(-3000)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}

/** Checks a tree Kerastore read against the pattern: every Dense layer, every value. */
function verify(root: SavedNode, expected: Float32Array, what: string): void {
  let seen = 0;
  for (const { node } of walkSavedTree(root)) {
    if (node.variables.length !== 2) continue;
    const [kernel, bias] = node.variables.map((v) => v.value as HostTensor & { data: Float32Array });
    if (kernel === undefined || bias === undefined || kernel.shape.length !== 2) continue;
    const index = bias.data[0]!;
    if (!bias.data.every((b) => b === index)) throw new Error(`${what}: ${node.name} bias is not constant`);
    const k = kernel.data;
    for (let i = 0; i < k.length; i++) if (k[i] !== expected[i]) throw new Error(`${what}: ${node.name} kernel[${i}] = ${k[i]}, expected ${expected[i]}`);
    seen++;
  }
  if (seen !== layers) throw new Error(`${what}: ${seen} Dense layers, expected ${layers}`);
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, (performance.now() - t0) / 1000];
}

const dir = mkdtempSync(join(tmpdir(), "kerastore-large-interop-"));
const store = new NodeStore(dir);
const rows: string[] = [];
try {
  const expected = pattern();
  const data = model(expected);
  const weightBytes = treeByteSize(data.root);
  console.log(`model: ${layers} x Dense(${UNITS}), ${(weightBytes / GiB).toFixed(2)} GiB of weights, in ${dir}`);

  // Kerastore writes, Python loads.
  const [, writeKeras] = await timed(() => writeKerasArchiveTo(store, "ks.keras", data));
  const [, writeSharded] = await timed(async () => {
    const { index, shards } = keras3WeightsShards(data, { indexName: "ks.weights.json", maxShardBytes: GiB });
    for (const shard of shards) await store.write(shard.name, shard.chunks);
    await store.write("ks.weights.json", new TextEncoder().encode(index));
  });
  const pyKeras = python("check", join(dir, "ks.keras"), String(layers));
  console.log("python loaded ks.keras:", pyKeras);
  rows.push(`| Kerastore writes \`.keras\`, Keras ${pyKeras.keras} loads (load_model) and checks every weight | ${writeKeras.toFixed(1)} s write | ${Number(pyKeras.load_s).toFixed(1)} s load, peak RSS ${Number(pyKeras.peak_rss_gib).toFixed(2)} GiB |`);
  const pySharded = python("check", join(dir, "ks.weights.json"), String(layers));
  console.log("python loaded ks.weights.json:", pySharded);
  rows.push(`| Kerastore writes sharded weights (1 GiB shards), Keras loads (load_weights) and checks | ${writeSharded.toFixed(1)} s write | ${Number(pySharded.load_s).toFixed(1)} s load, peak RSS ${Number(pySharded.peak_rss_gib).toFixed(2)} GiB |`);
  for (const f of await store.list("")) await store.remove(f);

  // Python writes, Kerastore loads.
  const pyWrite = python("write", dir, String(layers));
  console.log("python wrote:", pyWrite);
  const [archive, loadKeras] = await timed(() => readKerasArchive(store, { path: "py.keras" }));
  verify(archive.data.root, expected, "py.keras");
  const [lazyArchive, inspectKeras] = await timed(() => readKerasArchive(store, { path: "py.keras", values: "lazy" }));
  await lazyArchive.close();
  rows.push(
    `| Keras saves \`.keras\` (${Number(pyWrite.save_keras_s).toFixed(1)} s), Kerastore loads and checks every weight (member ${archive.weightsInPlace ? "stored: read in place" : "deflated: inflated whole"}) | inspect ${(inspectKeras * 1000).toFixed(0)} ms | ${loadKeras.toFixed(1)} s load |`,
  );
  const sources: RandomAccessSource[] = [];
  const [sharded, loadSharded] = await timed(async () => {
    const tree = await readKeras3WeightsShards(
      await store.read("py.weights.json"),
      async (name) => {
        const s = await openSource(store, name);
        sources.push(s);
        return s;
      },
      { name: "py.weights.json", values: "lazy" },
    );
    await loadTreeValues(tree.root);
    return tree;
  });
  for (const s of sources) await s.close();
  verify(sharded.root, expected, "py.weights.json");
  const shardNames = (await store.list("")).filter((f) => f.startsWith("py_") || (f.startsWith("py") && f.endsWith(".h5")));
  rows.push(`| Keras saves sharded weights (${shardNames.length} shards, ${Number(pyWrite.save_sharded_s).toFixed(1)} s), Kerastore loads and checks | | ${loadSharded.toFixed(1)} s load |`);
  console.log("kerastore loaded both Python files: every weight matches");
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const table = [
  `${layers} Dense(${UNITS}) layers, ${((layers * (UNITS * UNITS + UNITS) * 4) / GiB).toFixed(2)} GiB of float32 weights; every weight of every layer is compared on both sides.`,
  "",
  "| round trip | Kerastore side | Python side |",
  "| --- | --- | --- |",
  ...rows,
].join("\n");
console.log(table);
// A smaller run (KERASTORE_LARGE_LAYERS) checks the same things but is not the documented one.
if (process.env.KERASTORE_LARGE_LAYERS !== undefined) process.exit(0);
const docs = resolve(here, "../../../docs/benchmarks.md");
const start = "<!-- bench:large-interop -->";
const end = "<!-- /bench:large-interop -->";
const stamp = `_Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, with \`pnpm test:large\`._`;
const block = `${start}\n${table}\n\n${stamp}\n${end}`;
const text = readFileSync(docs, "utf8");
const i = text.indexOf(start);
const j = text.indexOf(end);
writeFileSync(docs, i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`);
