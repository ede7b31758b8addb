import type { JsonObject } from "@kerastore/core";
import { readFixtureJson, readFixtureNpy } from "@kerastore/fixtures";
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// Through the engine's entry: it installs the built-in layer classes.
import { type Model, clearSession, deserializeLayer, initBackend } from "../index.js";
import { installWasmFallbacks, registerGradients, wasmFallbackUses } from "../index.js";

// Every layer fixture of the engine (conv, pooling, normalization, embedding, recurrent,
// wrappers, reshaping, ...): gradients of a training-mode forward pass with respect to every
// trainable weight run on the WASM backend (the kernels it lacks built from its own: ops/wasm)
// and equal the CPU backend's.

interface IndexEntry {
  name: string;
  inputs: number;
  weights: number;
}

const cases = [
  ...readFixtureJson<{ models: IndexEntry[] }>("layers", "index.json").models.map((e) => ["layers", e] as const),
  ...readFixtureJson<{ models: IndexEntry[] }>("models", "index.json")
    .models.filter((m) => ["conv", "embedding", "lstm", "gru", "simple_rnn", "regularized"].includes(m.name))
    .map((e) => ["models", e] as const),
];

// Random layers draw differently per backend in training mode; run them in inference mode.
const inferenceOnly = new Set(["preprocessing"]);

// Known gaps, with the reason; the test fails when one starts working (then remove its line).
const KNOWN_FAILURES: Record<string, { on: "both" | "cpu"; reason: RegExp }> = {
  // tfjs-core 4.22 has no gradient for dilated convolutions (any backend).
  "layers/conv1d": { on: "both", reason: /dilation rates greater than 1 are not yet supported in gradients/ },
  "layers/conv2d": { on: "both", reason: /dilation rates greater than 1 are not yet supported in gradients/ },
  // tfjs-backend-cpu's ResizeBilinearGrad swaps height and width when they differ (UpSampling2D
  // bilinear); WASM's is right, but there is no CPU result to compare with.
  "layers/reshaping": {
    on: "cpu",
    reason: /gradient for op ResizeBilinear\. The gradient of input 'images' has shape '2,5,4,2'/,
  },
};

type Result = ReturnType<typeof gradients> | Error;

function attempt(group: string, entry: IndexEntry): Result {
  try {
    return gradients(group, entry);
  } catch (error) {
    return error as Error;
  }
}

function gradients(group: string, entry: IndexEntry): { names: string[]; values: Float32Array[] } {
  clearSession();
  const model = deserializeLayer(readFixtureJson<JsonObject>(group, entry.name, "config.json"), {}) as Model;
  model.setWeights(
    Array.from({ length: entry.weights }, (_, i) => readFixtureNpy(group, entry.name, "weights", `${i}.npy`)),
  );
  const inputs = Array.from({ length: entry.inputs }, (_, i) => {
    const h = readFixtureNpy(group, entry.name, `input${i}.npy`);
    return tf.tensor(h.data as Float32Array | Int32Array, [...h.shape], h.dtype === "float32" ? "float32" : "int32");
  });
  const vars = model.trainableWeights;
  const training = !inferenceOnly.has(entry.name);
  const loss = (xs: tf.Tensor[]) => {
    const out = model.call(xs.length === 1 ? xs[0]! : xs, { training });
    const outs = Array.isArray(out) ? out : [out];
    return tf.addN(outs.map((o) => tf.sum(tf.square(tf.cast(o, "float32"))))) as tf.Scalar;
  };
  let values: Float32Array[];
  let names: string[];
  if (vars.length > 0) {
    const { value, grads } = tf.variableGrads(
      () => loss(inputs),
      vars.map((v) => v.value),
    );
    values = vars.map((v) => (grads[v.value.name] ?? tf.zerosLike(v.value)).dataSync() as Float32Array);
    names = vars.map((v) => v.path);
    value.dispose();
    tf.dispose(Object.values(grads));
  } else {
    // No weights (pooling, reshaping): the gradient with respect to the inputs.
    const grads = tf.grads((...xs: tf.Tensor[]) => loss(xs))(inputs);
    values = grads.map((g) => g.dataSync() as Float32Array);
    names = inputs.map((_, i) => `input${i}`);
    tf.dispose(grads);
  }
  tf.dispose(inputs);
  tf.dispose(model.weights.map((w) => w.value));
  return { names, values };
}

describe("gradients of every engine layer fixture on WASM equal the CPU backend's", () => {
  const onWasm = new Map<string, Result>();
  const onCpu = new Map<string, Result>();

  beforeAll(async () => {
    await initBackend();
    await registerGradients();
    await installWasmFallbacks();
    for (const [group, entry] of cases) onWasm.set(`${group}/${entry.name}`, attempt(group, entry));
    await initBackend({ backend: "cpu" });
    for (const [group, entry] of cases) onCpu.set(`${group}/${entry.name}`, attempt(group, entry));
    await initBackend({ backend: "wasm" });
  });

  afterAll(() => {
    // Which kernels fell back, for the record (none expected).
    console.log("WASM kernels that fell back to the CPU backend:", Object.fromEntries(wasmFallbackUses()));
  });

  for (const [group, entry] of cases) {
    it(`${group}/${entry.name}`, () => {
      const key = `${group}/${entry.name}`;
      const w = onWasm.get(key)!;
      const c = onCpu.get(key)!;
      const known = KNOWN_FAILURES[key];
      if (known !== undefined) {
        expect((c as Error).message).toMatch(known.reason);
        if (known.on === "both") {
          expect((w as Error).message).toMatch(known.reason);
          return;
        }
        if (w instanceof Error) throw new Error(`on WASM: ${w.message}`);
        for (const v of w.values) expect(v.every(Number.isFinite)).toBe(true);
        return;
      }
      if (w instanceof Error) throw new Error(`on WASM: ${w.message}`);
      if (c instanceof Error) throw new Error(`on CPU: ${c.message}`);
      expect(w.names).toEqual(c.names);
      for (const [i, cv] of c.values.entries()) {
        const wv = w.values[i]!;
        let worst = 0;
        let scale = 0;
        for (let k = 0; k < cv.length; k++) scale = Math.max(scale, Math.abs(cv[k]!));
        for (let k = 0; k < cv.length; k++) worst = Math.max(worst, Math.abs(wv[k]! - cv[k]!) / (scale + 1e-6));
        expect(Number.isFinite(worst), w.names[i]).toBe(true);
        expect(worst, w.names[i]).toBeLessThan(1e-4);
      }
    });
  }

  it("needed no CPU fallback (convolution filters, pooling and embeddings run on WASM kernels)", () => {
    expect(Object.fromEntries(wasmFallbackUses())).toEqual({});
  });
});
