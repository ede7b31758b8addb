import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type HostTensor, readNpy, toFloat32 } from "@kerastore/core";
import { repoRoot } from "@kerastore/fixtures";
import { keras } from "kerastore";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPython } from "../src/index.js";

/**
 * keras.applications architectures built in Python with weights=None at small input sizes
 * (python/applications.py, one Python process), saved as .keras and legacy .h5: Kerastore loads
 * both, predicts Keras's logits to 1e-4 relative, and takes the SGD step Keras took.
 *
 * CI runs the two cheapest (their Python side alone takes ~30-80 s on 2 busy cores);
 * KERASTORE_APPLICATIONS=all runs every architecture below (docs/layers.md has the results).
 * Architectures Kerastore cannot load yet are checked to fail with the reason recorded here.
 */
const CHEAP = ["MobileNet", "MobileNetV2"];
const ALL = [
  ...CHEAP,
  "MobileNetV3Small",
  "EfficientNetB0",
  "EfficientNetV2B0",
  "DenseNet121",
  "ResNet50",
  "ResNet50V2",
  "VGG16",
  "Xception",
  "InceptionV3",
  "NASNetMobile",
  "ConvNeXtTiny",
];
const ARCHS = process.env.KERASTORE_APPLICATIONS === "all" ? ALL : CHEAP;

/**
 * Architectures whose SGD step is compared with Keras's. In the others, training mode
 * normalizes with the statistics of a batch of 2 down to 1x1 feature maps, and the step differs
 * from Keras's beyond 1e-3 (MobileNetV2: loss 7e-4, some BatchNormalization betas by their own
 * size; docs/layers.md lists every measurement): not established as rounding alone, so it is a
 * recorded gap, not a passing check.
 */
const TRAIN_CHECKED = new Set(["MobileNet", "VGG16"]);

/** Architectures that do not load yet, and the error each gives. */
const NOT_YET: Readonly<Record<string, RegExp>> = {
  // hard_sigmoid written as `layers.ReLU(6.0)(x + 3.0)`: a Keras operation on a tensor and a constant.
  MobileNetV3Small: /Keras operations on tensors and constants \(x \+ 3\.0\) are not supported by Kerastore yet/,
  // keras.applications.convnext.LayerScale: a layer class of the application module, not of keras.layers.
  ConvNeXtTiny: /unknown layer class "LayerScale"/,
};

interface Built {
  readonly error?: string;
  readonly params?: number;
  readonly weights?: number;
  readonly train?: boolean;
}

const dir = mkdtempSync(join(tmpdir(), "kerastore-applications-"));
let built: Record<string, Built> = {};

beforeAll(async () => {
  await keras.ready();
  const script = join(repoRoot, "packages/interop/python/applications.py");
  const run = await runPython(
    `import runpy, sys; sys.argv = ${JSON.stringify([script, dir, ...ARCHS])}; runpy.run_path(sys.argv[0], run_name="__main__")`,
    { timeoutMs: 1_800_000 },
  );
  built = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, Built>;
}, 1_800_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const npy = (...parts: string[]): HostTensor => readNpy(readFileSync(join(dir, ...parts)), join(...parts));

/** Max |a - b| over max |b|: the relative error of a whole tensor. */
function relativeError(actual: HostTensor, expected: HostTensor): number {
  expect(actual.shape).toEqual(expected.shape);
  const a = toFloat32(actual);
  const e = toFloat32(expected);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < e.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - e[i]!));
    scale = Math.max(scale, Math.abs(e[i]!));
  }
  return diff / Math.max(scale, 1e-30);
}

describe.each(ARCHS)("keras.applications.%s (weights=None)", (name) => {
  it.each(["model.keras", "model.h5"])("loads Keras's %s and predicts Keras's outputs to 1e-4", async (file) => {
    expect(built[name]?.error).toBeUndefined();
    if (NOT_YET[name] !== undefined) {
      await expect(keras.models.loadModel(join(dir, name, file))).rejects.toThrow(NOT_YET[name]);
      return;
    }
    const model = await keras.models.loadModel(join(dir, name, file));
    expect(model.weights.length).toBe(built[name]!.weights);
    const y = model.predict(npy(name, "input.npy")) as HostTensor;
    expect(relativeError(y, npy(name, "output.npy"))).toBeLessThanOrEqual(1e-4);
    model.dispose();
  });

  if (!TRAIN_CHECKED.has(name)) return;
  it("takes the training step Keras took (SGD, mse)", async () => {
    expect(built[name]?.train).toBe(true);
    const model = await keras.models.loadModel(join(dir, name, "model.keras"));
    model.compile({ optimizer: new keras.optimizers.SGD({ learningRate: 0.01 }), loss: "mse" });
    const logs = await model.trainOnBatch(npy(name, "input.npy") as never, npy(name, "target.npy") as never);
    const expected = JSON.parse(readFileSync(join(dir, name, "train.json"), "utf8")) as { loss: number };
    // Measured on MobileNet: the loss within 1e-4 and every weight within 3.2e-4 of Keras's.
    expect(Math.abs((logs.loss as number) - expected.loss) / Math.abs(expected.loss)).toBeLessThanOrEqual(1e-3);
    // The weights after the step: every one within 1e-3 of its own scale.
    const after = readNpz(join(dir, name, "weights_after.npz"));
    const off = model
      .getWeights()
      .flatMap((w, i) =>
        relativeError(w, after[i]!) > 1e-3 ? [`${model.weights[i]!.path}: ${relativeError(w, after[i]!)}`] : [],
      );
    expect(off).toEqual([]);
    model.dispose();
  });
});

/** The arrays of an uncompressed .npz (numpy's savez), in arr_0, arr_1, ... order. */
function readNpz(path: string): HostTensor[] {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Map<number, HostTensor>();
  let at = 0;
  while (at + 30 <= bytes.length && view.getUint32(at, true) === 0x04034b50) {
    let size = view.getUint32(at + 18, true);
    const nameLength = view.getUint16(at + 26, true);
    const extraLength = view.getUint16(at + 28, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 30, at + 30 + nameLength));
    const start = at + 30 + nameLength + extraLength;
    // numpy writes ZIP64 sizes in the extra field for large arrays: the local size reads 0xffffffff.
    if (size === 0xffffffff) size = Number(view.getBigUint64(at + 30 + nameLength + 4, true));
    const index = Number(/arr_(\d+)\.npy/.exec(name)?.[1] ?? -1);
    out.set(index, readNpy(bytes.subarray(start, start + size), name));
    at = start + size;
  }
  return [...out.keys()].sort((a, b) => a - b).map((k) => out.get(k)!);
}
