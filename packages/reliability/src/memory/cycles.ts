import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { hostTensor } from "@kerastore/core";
import { tf } from "@kerastore/engine";
import { keras, type SavableModel } from "kerastore";

/** Memory after one load/dispose cycle. */
export interface MemorySample {
  readonly cycle: number;
  readonly rss: number;
  /** The WASM backend's linear memory (it grows, never shrinks: a leak shows as growth). */
  readonly wasm: number;
  readonly tensors: number;
}

/** What {@link loadDisposeCycles} measured. */
export interface CyclesReport {
  readonly fileBytes: number;
  readonly samples: readonly MemorySample[];
  /** The first sample after warm-up, and the largest of each measure after it. */
  readonly baseline: MemorySample;
  readonly peakRss: number;
  readonly peakWasm: number;
  readonly peakTensors: number;
  readonly seconds: number;
}

function summarize(fileBytes: number, samples: readonly MemorySample[], warmup: number, started: number): CyclesReport {
  const after = samples.filter((s) => s.cycle >= warmup);
  return {
    fileBytes,
    samples: [...samples],
    baseline: after[0]!,
    peakRss: Math.max(...after.map((s) => s.rss)),
    peakWasm: Math.max(...after.map((s) => s.wasm)),
    peakTensors: Math.max(...after.map((s) => s.tensors)),
    seconds: (Date.now() - started) / 1000,
  };
}

/** `gc()`, also where the process was started without `--expose-gc` (test runners). */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/**
 * Collects garbage until what it frees has been given back: V8 releases the backing stores of
 * dead ArrayBuffers (the file's bytes, the weights' host copies) on background threads after a
 * collection returns, so an RSS read straight after `gc()` lands before or after that release by
 * chance (swings of twice the file's size from sample to sample). Memory the process still holds
 * after this is memory it keeps.
 */
async function settle(gc: () => void): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function wasmBytes(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.buffer.byteLength ?? 0;
}

/** A model of about `megabytes` MB of float32 weights (Dense layers of width `width`). */
export function modelOfSize(megabytes: number, width = 1024): SavableModel {
  const layers = Math.max(1, Math.round((megabytes * 2 ** 20) / 4 / (width * width)));
  const model = new keras.Sequential({ name: "big" });
  model.add(keras.Input({ shape: [width] }));
  for (let i = 0; i < layers; i++) model.add(new keras.layers.Dense({ units: width, activation: "relu" }));
  return model;
}

/**
 * Saves a model of `megabytes` MB in `format` (`.keras`, `.h5`), then loads it, predicts once
 * and disposes it `cycles` times in this process, sampling memory every `every` cycles.
 */
export async function loadDisposeCycles(options: {
  megabytes: number;
  cycles: number;
  every: number;
  warmup: number;
  ext?: string | undefined;
  /** Told of each sample with the report so far (a long run can be watched and stopped). */
  onSample?: ((report: CyclesReport) => void) | undefined;
}): Promise<CyclesReport> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-cycles-"));
  const path = join(dir, `model${options.ext ?? ".keras"}`);
  const started = Date.now();
  try {
    const model = modelOfSize(options.megabytes);
    await model.save(path);
    const width = model.inputs[0]!.shape[1] as number;
    model.dispose();
    const fileBytes = (await stat(path)).size;
    const x = hostTensor("float32", [1, width], new Float32Array(width).fill(0.1));
    const samples: MemorySample[] = [];
    const gc = collector();
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      const loaded = await keras.models.loadModel(path);
      loaded.predict(x);
      loaded.dispose();
      if (cycle % options.every === 0 || cycle === options.warmup) {
        await settle(gc);
        samples.push({ cycle, rss: process.memoryUsage().rss, wasm: wasmBytes(), tensors: tf.memory().numTensors });
        if (cycle >= options.warmup) options.onSample?.(summarize(fileBytes, samples, options.warmup, started));
      }
    }
    return summarize(fileBytes, samples, options.warmup, started);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
