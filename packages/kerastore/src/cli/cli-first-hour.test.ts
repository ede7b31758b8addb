import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NumericHostTensor, readNpy } from "@kerastore/core";
import { fixturePath, readFixtureNpy } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras } from "../node.js";
import { type CliIo, runCli } from "./run.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-cli-first-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(argv: string[], extra: Partial<CliIo> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), ...extra });
  return { code, out, err };
}

describe("kerastore --version and per-command --help", () => {
  it("prints the package version", async () => {
    const version = JSON.parse(await readFile(join(__dirname, "../../package.json"), "utf8")).version;
    for (const flag of ["--version", "-V", "version"])
      expect(await cli([flag])).toEqual({ code: 0, out: `${version}\n`, err: "" });
  });

  it.each(["inspect", "predict", "convert"])(
    "%s --help and help <command> print that command's help",
    async (command) => {
      const a = await cli([command, "--help"]);
      expect(a.code).toBe(0);
      expect(a.out).toMatch(new RegExp(`^usage: kerastore ${command} `));
      expect(await cli(["help", command])).toEqual(a);
      expect((await cli([command, "some.h5", "-h"])).out).toBe(a.out);
    },
  );
});

describe("kerastore predict on a SavedModel without a Keras model", () => {
  const sm = fixturePath("savedmodel", "keras_export", "saved_model");
  it("runs serving_default, as saved_model_cli run does, to what TensorFlow computed", async () => {
    const out = join(dir, "sm-y.npy");
    const r = await cli([
      "predict",
      sm,
      "--input",
      fixturePath("savedmodel", "keras_export", "input0.npy"),
      "--output",
      out,
    ]);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expectAllClose(
      readNpy(new Uint8Array(await readFile(out))) as NumericHostTensor,
      readFixtureNpy("savedmodel", "keras_export", "output0.npy"),
      { rtol: 1e-5, floor: 1e-3 },
    );
  });

  it("takes inputs by name and another signature with --signature, and names the signatures it has", async () => {
    const out = join(dir, "sm-y2.npy");
    const r = await cli([
      "predict",
      sm,
      "--signature",
      "serving_default",
      "--input",
      `features=${fixturePath("savedmodel", "keras_export", "input0.npy")}`,
      "--output",
      out,
    ]);
    expect(r.code, r.err).toBe(0);
    const bad = await cli([
      "predict",
      sm,
      "--signature",
      "nope",
      "--input",
      fixturePath("savedmodel", "keras_export", "input0.npy"),
      "--output",
      out,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/it has no signature "nope"; pass --signature serve or serving_default/);
  });
});

describe("kerastore convert to a path without an extension", () => {
  it("writes a SavedModel directory, as model.save('my_model') does, that loads back and predicts the same", async () => {
    const target = join(dir, "my_model");
    const r = await cli(["convert", fixturePath("models", "mlp_sequential", "model.h5"), target]);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse((await cli(["inspect", target, "--json"])).out);
    expect(report.format).toBe("savedmodel");
    const model = await keras.models.loadModel(target);
    expectAllClose(
      model.predictOne(readFixtureNpy("models", "mlp_sequential", "input0.npy")) as NumericHostTensor,
      readFixtureNpy("models", "mlp_sequential", "output0.npy"),
      { rtol: 1e-5, floor: 1e-3 },
    );
  });
});

describe("kerastore inspect", () => {
  it("shows each input's name, shape and dtype", async () => {
    const r = await cli(["inspect", fixturePath("models", "merge_functional", "model.keras")]);
    expect(r.out).toMatch(/inputs:\n {2}a {2}float32 {2}\[\?, 4\]\n {2}b {2}float32 {2}\[\?, 4\]\n/);
    const json = JSON.parse(
      (await cli(["inspect", fixturePath("models", "mlp_sequential", "model.h5"), "--json"])).out,
    );
    expect(json.inputs).toEqual([{ name: expect.any(String), dtype: "float32", shape: [null, 16] }]);
  });

  it("labels a weights-only .h5 as such", async () => {
    const model = await keras.models.loadModel(fixturePath("models", "get_model", "model.keras"));
    const path = join(dir, "only-weights.h5");
    await model.saveWeights(path);
    const report = JSON.parse((await cli(["inspect", path, "--json"])).out);
    expect(report.weightsOnly).toBe(true);
    expect(report.description).toMatch(/weights only/);
    const text = (await cli(["inspect", path])).out;
    expect(text).toMatch(/: Keras HDF5 weights only \(save_weights: no architecture/);
    expect(text).toMatch(/\n {2}dense: 33 params\n/);
  });

  it("lists each layer of a SavedModel Kerastore wrote once, with its parameters counted once", async () => {
    const model = await keras.models.loadModel(fixturePath("models", "3_layer_mlp", "model.keras"));
    const path = join(dir, "sm-written");
    await model.save(path);
    const report = JSON.parse((await cli(["inspect", path, "--json"])).out);
    expect(report.layers.map((l: { name: string }) => l.name)).toEqual(["digits", "dense_1", "dense_2", "predictions"]);
    expect(report.layers.map((l: { className: string }) => l.className)).toEqual([
      "InputLayer",
      "Dense",
      "Dense",
      "Dense",
    ]);
    expect(report.params).toBe(model.countParams());
    expect(report.weights).toHaveLength(6);
  });

  it("counts a checkpoint's optimizer slots apart from the model's parameters", async () => {
    const model = await keras.models.loadModel(fixturePath("models", "get_model", "model.keras"));
    const prefix = join(dir, "ckpt");
    await model.saveWeights(prefix);
    const report = JSON.parse((await cli(["inspect", prefix, "--json"])).out);
    expect(report.params).toBe(model.countParams());
    expect(report.optimizer.params).toBeGreaterThanOrEqual(2 * model.countParams());
  });
});

describe("progress on large files", () => {
  it("shows a status line on a terminal and clears it; quiet when stderr is not a terminal", async () => {
    const path = fixturePath("models", "3_layer_mlp", "model.keras");
    const tty = await cli(["inspect", path], { isTTY: true, progressThreshold: 1 });
    expect(tty.code).toBe(0);
    expect(tty.err.startsWith("\r\x1b[Kkerastore: reading ")).toBe(true);
    expect(tty.err).toMatch(/model\.keras \(0\.\d MB\)\.\.\. \d+\.\d s/);
    expect(tty.err.endsWith("\r\x1b[K")).toBe(true);
    expect((await cli(["inspect", path], { isTTY: false, progressThreshold: 1 })).err).toBe("");
    expect((await cli(["inspect", path], { isTTY: true })).err).toBe("");
  });
});
