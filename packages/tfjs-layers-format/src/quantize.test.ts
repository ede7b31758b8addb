import { decodeFloat16, encodeFloat16, toFloat32 } from "@kerastore/core";
import { fixturePath, readFixtureNpy } from "@kerastore/fixtures";
import { builtinFormats, createFormatRegistry, keras, loadModel, saveModel } from "kerastore";
import { beforeAll, describe, expect, it } from "vitest";
import { type ManifestWeight, dequantize, kerastoreFormats, quantize } from "./index.js";
import { expectOutputsClose, loadInTfjs, memoryStore, predictInTfjs } from "./tfjs-test-support.test-util.js";

const formats = () => createFormatRegistry([...builtinFormats, ...kerastoreFormats]);
beforeAll(() => keras.ready());

describe("quantize: tensorflowjs_converter's formula", () => {
  it("uint8 over a range holding 0: the range is nudged so 0 is a step, and halves round to even (numpy)", () => {
    // min -1, max 2: scale 3/255, zero point (0 - -1) / scale = 85 exactly, so no nudge is needed.
    const x = new Float32Array([-1, 0, 2]);
    const { data, entry } = quantize(x, "uint8");
    expect(entry.dtype).toBe("uint8");
    expect(entry.min).toBe(-1);
    expect(entry.scale).toBe(3 / 255);
    expect(Array.from(data)).toEqual([0, 85, 255]);
    // min 0, max 255: scale 1, so each value's quantized step is itself: 126.5 -> 126 and
    // 2.5 -> 2 (to even, as numpy), where rounding half up would give 127 and 3.
    const halves = quantize(new Float32Array([0, 126.5, 127.5, 2.5, 255]), "uint8");
    expect(halves.entry.scale).toBe(1);
    expect(Array.from(halves.data)).toEqual([0, 126, 128, 2, 255]);
  });

  it("uint8 nudges the minimum so that 0 is represented exactly", () => {
    const x = new Float32Array([-0.3, 0, 1]);
    const { data, entry } = quantize(x, "uint8");
    const scale = (1 - -0.30000001192092896) / 255;
    const zero = Math.round(0.30000001192092896 / scale);
    expect(entry.scale).toBe(scale);
    expect(entry.min).toBe(-zero * scale);
    const back = dequantize(new Uint8Array(data.buffer), entry, 3);
    expect(back[1]).toBe(0);
    for (const [i, v] of x.entries()) expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(scale / 2 + 1e-7);
  });

  it("a range above 0 is not nudged; a constant weight is all zeros with scale 1", () => {
    const pos = quantize(new Float32Array([1, 2, 3]), "uint16");
    expect(pos.entry.min).toBe(1);
    expect(pos.entry.scale).toBe(2 / 65535);
    expect(Array.from(pos.data)).toEqual([0, 32768, 65535]);
    const flat = quantize(new Float32Array([0.25, 0.25]), "uint8");
    expect(flat.entry).toEqual({ dtype: "uint8", min: 0.25, scale: 1, original_dtype: "float32" });
    expect(Array.from(flat.data)).toEqual([0, 0]);
  });

  it("float16 rounds to the nearest half", () => {
    const x = new Float32Array([0.1, -2.5, 65504, 1e-8]);
    const { data, entry } = quantize(x, "float16");
    expect(entry).toEqual({ dtype: "float16", original_dtype: "float32" });
    expect(Array.from(decodeFloat16(data as Uint16Array))).toEqual(Array.from(decodeFloat16(encodeFloat16(x))));
  });
});

describe("quantized models in the real tfjs-layers", () => {
  for (const dtype of ["uint8", "uint16", "float16"] as const) {
    it(`${dtype}: tfjs-layers dequantizes each weight as the formula says, and predicts within the quantization error`, async () => {
      const model = await loadModel(fixturePath("models", "conv", "model.keras"));
      const store = memoryStore();
      await saveModel(
        model,
        { store, path: "q" },
        { format: "tfjs", formats: formats(), settings: { quantization: dtype } },
      );
      const json = JSON.parse(new TextDecoder().decode(await store.read("q/model.json")));
      const specs = json.weightsManifest[0].weights as ManifestWeight[];
      expect(specs.every((w) => w.dtype === "float32" && w.quantization?.dtype === dtype)).toBe(true);
      const bytes = await store.read(`q/${json.weightsManifest[0].paths[0]}`);
      const tfjsModel = await loadInTfjs(store, "q");
      const tfjsWeights = new Map(
        tfjsModel.weights.map((w) => [w.originalName, Float32Array.from(w.read().dataSync())]),
      );
      const original = new Map(model.weights.map((w) => [w.path.split("/").slice(-2).join("/"), toFloat32(w.read())]));
      let offset = 0;
      for (const spec of specs) {
        const count = spec.shape.reduce((a, b) => a * b, 1);
        const size = count * (dtype === "uint8" ? 1 : 2);
        const ours = dequantize(bytes.subarray(offset, offset + size), spec.quantization!, count);
        offset += size;
        expect(Array.from(tfjsWeights.get(spec.name)!), spec.name).toEqual(Array.from(ours));
        const before = original.get(spec.name)!;
        const bound = dtype === "float16" ? 0 : spec.quantization!.scale! / 2 + 1e-6;
        for (let i = 0; i < count; i++) {
          const err = Math.abs(ours[i]! - before[i]!);
          expect(err, `${spec.name}[${i}]`).toBeLessThanOrEqual(
            dtype === "float16" ? Math.abs(before[i]!) * 2 ** -11 + 2 ** -25 : bound,
          );
        }
      }
      // The model with the dequantized weights is what tfjs-layers runs: Kerastore reading the
      // quantized files predicts the same.
      const back = await loadModel({ store, path: "q" }, { formats: formats() });
      const input = readFixtureNpy("models", "conv", "input0.npy");
      const [tfjsOut] = predictInTfjs(tfjsModel, [input]);
      const ours = back.predict(input);
      expectOutputsClose(tfjsOut!, Array.isArray(ours) ? ours[0]! : ours);
      // And within the quantization error of what Keras predicted.
      const atol = { uint8: 0.05, uint16: 2e-4, float16: 2e-3 }[dtype];
      expectOutputsClose(tfjsOut!, readFixtureNpy("models", "conv", "output0.npy"), { rtol: 0, atol });
    });
  }

  it("patterns pick the weights to quantize, as --quantize_uint8 'conv*/kernel' does", async () => {
    const model = await loadModel(fixturePath("models", "conv", "model.keras"));
    const store = memoryStore();
    await saveModel(
      model,
      { store, path: "q" },
      { format: "tfjs", formats: formats(), settings: { quantization: { uint8: ["*/kernel"], float16: ["*/bias"] } } },
    );
    const json = JSON.parse(new TextDecoder().decode(await store.read("q/model.json")));
    for (const w of json.weightsManifest[0].weights as ManifestWeight[]) {
      expect(w.quantization?.dtype, w.name).toBe(
        w.name.endsWith("/kernel") ? "uint8" : w.name.endsWith("/bias") ? "float16" : undefined,
      );
    }
    await loadInTfjs(store, "q");
  });
});
