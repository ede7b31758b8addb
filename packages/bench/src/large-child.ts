// One step of the large-model benchmark (spawned by large.bench.ts), in a fresh process so its
// peak RSS is its own. Prints one JSON line last.
//
// Usage: large-child.ts write <format> <dir> <layers>
//        large-child.ts raw <dir> <file>...        (sequential read into fresh 256 MiB buffers, kept)
//        large-child.ts inspect|load <format> <dir> <layers>
//        large-child.ts engine <format> <dir> <layers>  (load into tfjs WASM variables, one host copy at a time)
//        large-child.ts wasm-limit                  (how much the tfjs WASM heap can hold)
import { open } from "node:fs/promises";
import { readCheckpoint, writeCheckpoint } from "@kerastore/checkpoint";
import {
  type HostTensor,
  type SavedNode,
  isPendingTensor,
  loadTreeValues,
  openSource,
  treeByteSize,
  walkSavedTree,
} from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import {
  keras3WeightsH5Chunks,
  keras3WeightsShards,
  legacyH5Chunks,
  readKeras3WeightsShards,
  readKerasH5,
} from "@kerastore/h5";
import { readKerasArchive, writeKerasArchiveTo } from "@kerastore/keras-v3";
import { LAYER_BYTES, UNITS, kernelAt, largeModel } from "./large-model.js";

export const FILES: Record<string, string> = {
  h5: "model.h5",
  "weights-h5": "model.weights.h5",
  keras: "model.keras",
  sharded: "model.weights.json",
  checkpoint: "ckpt",
};

const peakRss = () => process.resourceUsage().maxRSS * 1024;
const [op, ...args] = process.argv.slice(2);
const baseRss = process.memoryUsage().rss;
const t0 = performance.now();
const out: Record<string, unknown> = { op, args };

async function write(format: string, dir: string, layers: number): Promise<void> {
  const store = new NodeStore(dir);
  const data = largeModel(layers);
  const start = performance.now();
  if (format === "h5")
    await store.write(
      FILES.h5!,
      legacyH5Chunks(data, { dialect: "keras3", weightsOnly: false, includeOptimizer: false, name: FILES.h5! }),
    );
  else if (format === "weights-h5")
    await store.write(FILES["weights-h5"]!, keras3WeightsH5Chunks(data, { name: FILES["weights-h5"]! }));
  else if (format === "keras") await writeKerasArchiveTo(store, FILES.keras!, data);
  else if (format === "sharded") {
    // Keras's own default is 5 GB shards; 1 GiB shards make several even for the 3 GiB model.
    const { index, shards } = keras3WeightsShards(data, { indexName: FILES.sharded!, maxShardBytes: 2 ** 30 });
    for (const shard of shards) await store.write(shard.name, shard.chunks);
    await store.write(FILES.sharded!, new TextEncoder().encode(index));
    out.shards = shards.map((s) => s.name);
  } else if (format === "checkpoint") await writeCheckpoint(store, FILES.checkpoint!, data.root);
  else throw new Error(`unknown format ${format}`);
  out.ms = performance.now() - start;
}

/** Reads the model; `values` lazy is inspect (metadata only). Returns the tree's root. */
async function read(
  format: string,
  dir: string,
  values: "eager" | "lazy",
): Promise<{ root: SavedNode; close: () => Promise<void> }> {
  const store = new NodeStore(dir);
  if (format === "h5" || format === "weights-h5") {
    const source = await openSource(store, FILES[format]!);
    const result = await readKerasH5(source, { name: FILES[format]!, values });
    return { root: result.data.root, close: () => source.close() };
  }
  if (format === "keras") {
    const archive = await readKerasArchive(store, { path: FILES.keras!, values });
    out.weightsInPlace = archive.weightsInPlace;
    return { root: archive.data.root, close: () => archive.close() };
  }
  if (format === "sharded") {
    const sources: Awaited<ReturnType<typeof openSource>>[] = [];
    const data = await readKeras3WeightsShards(
      await store.read(FILES.sharded!),
      async (name) => {
        const source = await openSource(store, name);
        sources.push(source);
        return source;
      },
      { name: FILES.sharded!, values },
    );
    return { root: data.root, close: async () => void (await Promise.all(sources.map((s) => s.close()))) };
  }
  if (format === "checkpoint")
    return { root: await readCheckpoint(store, FILES.checkpoint!, { values }), close: async () => undefined };
  throw new Error(`unknown format ${format}`);
}

/** Checks every layer's bias (its index) and samples of its kernel: the right bytes in the right place. */
function verify(root: SavedNode, layers: number): void {
  let seen = 0;
  for (const { node } of walkSavedTree(root)) {
    const kernel = node.variables.find((v) => v.value.shape.length === 2 && v.value.shape[0] === UNITS)?.value;
    const bias = node.variables.find((v) => v.value.shape.length === 1 && v.value.shape[0] === UNITS)?.value;
    if (kernel === undefined || bias === undefined) continue;
    const b = (bias as HostTensor & { data: Float32Array }).data;
    const k = (kernel as HostTensor & { data: Float32Array }).data;
    const layer = b[0]!;
    if (b[UNITS - 1] !== layer || !(layer >= 0 && layer < layers))
      throw new Error(`layer ${node.name}: bias ${b[0]}..${b[UNITS - 1]}`);
    for (let i = 0; i < k.length; i += 1_000_003)
      if (k[i] !== kernelAt(i)) throw new Error(`layer ${node.name}: kernel[${i}] = ${k[i]}, expected ${kernelAt(i)}`);
    seen++;
  }
  if (seen !== layers) throw new Error(`found ${seen} layers, expected ${layers}`);
}

async function raw(files: string[]): Promise<void> {
  const start = performance.now();
  const kept: Uint8Array[] = [];
  let total = 0;
  for (const file of files) {
    const handle = await open(file, "r");
    const { size } = await handle.stat();
    for (let at = 0; at < size; ) {
      const n = Math.min(256 * 2 ** 20, size - at);
      const buf = Buffer.allocUnsafeSlow(n);
      let done = 0;
      while (done < n) done += (await handle.read(buf, done, n - done, at + done)).bytesRead;
      kept.push(buf);
      at += n;
    }
    total += size;
    await handle.close();
  }
  out.ms = performance.now() - start;
  out.bytes = total;
  out.kept = kept.length;
}

async function engine(format: string, dir: string, layers: number): Promise<void> {
  const tf = await import("@tensorflow/tfjs-core");
  const { initBackend } = await import("@kerastore/engine");
  await initBackend({ backend: "wasm" });
  const heap = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
  const start = performance.now();
  const { root, close } = await read(format, dir, "lazy");
  const variables: unknown[] = [];
  let copied = 0;
  try {
    // Each tensor's bytes go from the file into one host buffer, then into its tfjs variable;
    // the host buffer is dropped before the next tensor is read (one copy in flight).
    await loadTreeValues(root, {
      concurrency: 1,
      onLoaded: (variable) => {
        const value = variable.value as HostTensor & { data: Float32Array };
        variables.push(tf.variable(tf.tensor(value.data, [...value.shape], "float32")));
        copied += value.data.byteLength;
        variable.value = { dtype: "float32", shape: value.shape, data: new Float32Array(0) } as HostTensor;
      },
    });
    out.ok = true;
  } catch (error) {
    out.ok = false;
    out.error = String(error).slice(0, 300);
  }
  out.ms = performance.now() - start;
  out.copiedBytes = copied;
  out.variables = variables.length;
  out.wasmHeap = heap();
  await close();
  void layers;
}

async function wasmLimit(): Promise<void> {
  const tf = await import("@tensorflow/tfjs-core");
  const { initBackend } = await import("@kerastore/engine");
  await initBackend({ backend: "wasm" });
  const held: import("@tensorflow/tfjs-core").Tensor[] = [];
  const step = 256 * 2 ** 20;
  const n = step / 4;
  let heldBytes = 0;
  try {
    for (let k = 0; k < 64; k++) {
      // Tensor k holds k + 1; after each allocation every tensor is read back at its last
      // element, so a heap that aliases or loses a tensor is caught, not counted.
      held.push(tf.fill([n], k + 1, "float32"));
      const lasts = await Promise.all(held.map(async (t) => (await tf.slice(t, [n - 1], [1]).data())[0]));
      const wrong = lasts.findIndex((v, i) => v !== i + 1);
      if (wrong >= 0) throw new Error(`tensor ${wrong} reads back ${lasts[wrong]} after tensor ${k} was made`);
      heldBytes = held.length * step;
      out.tensors = held.length;
      out.wasmHeap = (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
      out.heldBytes = heldBytes;
      // A line per step: the module may abort the process on the next allocation.
      console.log(JSON.stringify(out));
    }
  } catch (error) {
    out.error = String(error).slice(0, 200);
  }
  out.heldBytes = heldBytes;
}

if (op === "write") await write(args[0]!, args[1]!, Number(args[2]));
else if (op === "raw") await raw(args);
else if (op === "inspect" || op === "load") {
  const [format, dir, layers] = [args[0]!, args[1]!, Number(args[2])];
  const start = performance.now();
  const { root, close } = await read(format, dir, op === "inspect" ? "lazy" : "eager");
  out.ms = performance.now() - start;
  out.weightBytes = treeByteSize(root);
  if (op === "load") {
    const pending = [...walkSavedTree(root)].some(({ node }) => node.variables.some((v) => isPendingTensor(v.value)));
    if (pending) throw new Error("an eager load left values pending");
    verify(root, layers);
  }
  await close();
  if (out.weightBytes !== layers * LAYER_BYTES)
    throw new Error(`weights ${out.weightBytes}, expected ${layers * LAYER_BYTES}`);
} else if (op === "engine") await engine(args[0]!, args[1]!, Number(args[2]));
else if (op === "wasm-limit") await wasmLimit();
else throw new Error(`unknown op ${op}`);
out.baseRss = baseRss;
out.peakRss = peakRss();
out.totalMs = performance.now() - t0;
console.log(JSON.stringify(out));
