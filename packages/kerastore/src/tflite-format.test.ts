import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readNpy } from "@kerastore/core";
import { fixturePath, readFixtureNpy } from "@kerastore/fixtures";
import { readTflite } from "@kerastore/tflite";
import { createTfliteRunner } from "@kerastore/tflite-lowering";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./cli/run.js";
import { keras } from "./node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-tflite-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe("the tflite format", () => {
  it("model.save('m.tflite') writes a model the interpreter runs as the model predicts", async () => {
    const model = await keras.models.loadModel(fixturePath("models", "conv", "model.keras"));
    const path = join(dir, "conv.tflite");
    await model.save(path, { settings: { batchSize: 2 } });
    const x = readFixtureNpy("models", "conv", "input0.npy");
    const runner = createTfliteRunner(readTflite(await readFile(path)));
    expect(runner.inputs[0]!.shape[0]).toBe(2);
    const batch = {
      ...x,
      shape: [2, ...x.shape.slice(1)],
      data: x.data.subarray(0, (x.data.length / x.shape[0]!) * 2),
    } as typeof x;
    const expected = readFixtureNpy("models", "conv", "output0.npy");
    const want = {
      ...expected,
      shape: [2, ...expected.shape.slice(1)],
      data: expected.data.subarray(0, (expected.data.length / expected.shape[0]!) * 2),
    } as typeof expected;
    expectAllClose(runner.predict([batch])[0]!, want, { rtol: 1e-4, floor: 1e-3 });
    runner.dispose();
  });

  it("kerastore convert m.h5 m.tflite, then kerastore inspect m.tflite lists its operators and weights", async () => {
    const target = join(dir, "mlp.tflite");
    const converted = await cli("convert", fixturePath("models", "mlp_sequential", "model.h5"), target);
    expect(converted.err).toBe("");
    expect(converted.code).toBe(0);
    const r = await cli("inspect", target, "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.format).toBe("tflite");
    expect(report.layers.map((l: { className: string }) => l.className)).toContain("FULLY_CONNECTED");
    const source = await keras.models.loadModel(fixturePath("models", "mlp_sequential", "model.h5"));
    expect(report.params).toBe(source.countParams());
    const text = await cli("inspect", target);
    expect(text.out).toMatch(/TensorFlow Lite flatbuffer/);
  });

  it("kerastore predict runs a .tflite in Kerastore's interpreter, as TF Lite ran Python's file", async () => {
    const out = join(dir, "y.npy");
    const r = await cli(
      "predict",
      fixturePath("tflite", "dense", "model.tflite"),
      "--input",
      fixturePath("tflite", "dense", "input0.npy"),
      "--output",
      out,
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expectAllClose(readNpy(await readFile(out)), readFixtureNpy("tflite", "dense", "output0.npy"), {
      rtol: 1e-6,
      floor: 1e-3,
    });
    const wrong = await cli(
      "predict",
      fixturePath("tflite", "dense", "model.tflite"),
      "--input",
      fixturePath("models", "conv", "input0.npy"),
      "--output",
      out,
    );
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/has shape \[.*\], the model takes \[2, 5\]/);
  });

  it("loading a .tflite as a Keras model says it holds no model config; a damaged one gives a clear error", async () => {
    const target = join(dir, "mlp.tflite");
    await expect(keras.models.loadModel(target)).rejects.toThrow(/no model config/);
    const damaged = join(dir, "damaged.tflite");
    await writeFile(damaged, (await readFile(target)).subarray(0, 200));
    const bad = await cli("inspect", damaged);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/cannot read .*damaged\.tflite: .* lies outside the file/);
  });

  it("refuses an unknown quantize setting", async () => {
    const model = await keras.models.loadModel(fixturePath("models", "mlp_sequential", "model.h5"));
    await expect(model.save(join(dir, "q.tflite"), { settings: JSON.parse('{ "quantize": "int4" }') })).rejects.toThrow(
      /quantize "int4" is not/,
    );
  });
});
