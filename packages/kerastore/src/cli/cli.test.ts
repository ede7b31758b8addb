import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type NumericHostTensor, readNpy } from "@kerastore/core";
import { fixturePath, readFixtureNpy, repoRoot } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras } from "../node.js";
import { runCli } from "./run.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-cli-"));
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

describe("kerastore inspect", () => {
  it("reports format, class, layers, parameters and weights of a .keras file", async () => {
    const r = await cli("inspect", fixturePath("models", "3_layer_mlp", "model.keras"), "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.format).toBe("keras");
    expect(report.modelClass).toBe("Functional");
    expect(report.modelName).toBe("3_layer_mlp");
    expect(report.layers.map((l: { name: string }) => l.name)).toEqual(["digits", "dense_1", "dense_2", "predictions"]);
    expect(report.params).toBe(784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10);
    expect(report.weights[0]).toMatchObject({ dtype: "float32", shape: [784, 64] });
  });

  it("prints a readable table for an .h5 file", async () => {
    const r = await cli("inspect", fixturePath("models", "get_model", "model.h5"));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Keras HDF5 model/);
    expect(r.out).toMatch(/parameters: 33\n/);
    expect(r.out).toMatch(/optimizer: /);
  });

  it("lists a checkpoint's keys, dtypes and shapes", async () => {
    const r = await cli("inspect", fixturePath("checkpoints", "module_tree", "ckpt-2"), "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.format).toBe("checkpoint");
    expect(report.weights.map((w: { path: string }) => w.path)).toContain("_CHECKPOINTABLE_OBJECT_GRAPH");
  });

  it("shows a SavedModel without a Keras model as saved_model_cli does: signatures, functions, variables", async () => {
    const r = await cli("inspect", fixturePath("savedmodel", "keras_export", "saved_model"), "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.format).toBe("savedmodel");
    // What TensorFlow reported for this export (signature.json), and each variable once.
    const expected = JSON.parse(await readFile(fixturePath("savedmodel", "keras_export", "signature.json"), "utf8"));
    const serving = report.signatures.find((s: { key: string }) => s.key === "serving_default");
    expect(serving.inputs).toEqual(Object.entries(expected.inputs).map(([name, t]) => ({ name, ...(t as object) })));
    expect(serving.outputs).toEqual(Object.entries(expected.outputs).map(([name, t]) => ({ name, ...(t as object) })));
    expect(report.functions).toEqual(["serve"]);
    expect(report.weights.map((w: { path: string }) => w.path)).toEqual([
      "hidden/kernel",
      "hidden/bias",
      "probs/kernel",
      "probs/bias",
    ]);
    expect(report.params).toBe(6 * 8 + 8 + 8 * 3 + 3);
    const text = await cli("inspect", fixturePath("savedmodel", "keras_export", "saved_model"));
    expect(text.out).toMatch(/signature serving_default:\n {2}input {2}features {2}float32 {2}\[\?, 6\]/);
  });

  it("fails with exit code 1 and one clear line for a file that is no model", async () => {
    const junk = join(dir, "junk.h5");
    await writeFile(junk, "this is not HDF5 at all");
    const r = await cli("inspect", junk);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^kerastore: cannot /);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});

describe("kerastore predict", () => {
  it.each(["model.h5", "model.keras"])("writes the .npy Keras predicted, from Python's %s", async (file) => {
    const out = join(dir, `pred-${file}.npy`);
    const r = await cli(
      "predict",
      fixturePath("models", "mlp_sequential", file),
      "--input",
      fixturePath("models", "mlp_sequential", "input0.npy"),
      "--output",
      out,
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expectAllClose(
      readNpy(new Uint8Array(await readFile(out))),
      readFixtureNpy("models", "mlp_sequential", "output0.npy"),
      { rtol: 1e-5, floor: 1e-3 },
    );
  });

  it("takes several inputs and writes several outputs", async () => {
    const m = (f: string) => fixturePath("models", "merge_functional", f);
    const outs = [join(dir, "y0.npy"), join(dir, "y1.npy")];
    const r = await cli(
      "predict",
      m("model.keras"),
      "--input",
      m("input0.npy"),
      "--input",
      m("input1.npy"),
      "--output",
      outs[0]!,
      "--output",
      outs[1]!,
    );
    expect(r.code, r.err).toBe(0);
    for (const [i, o] of outs.entries()) {
      expectAllClose(
        readNpy(new Uint8Array(await readFile(o))) as NumericHostTensor,
        readFixtureNpy("models", "merge_functional", `output${i}.npy`),
        { rtol: 1e-5, floor: 1e-3 },
      );
    }
  });

  it("says how many inputs the model takes", async () => {
    const r = await cli(
      "predict",
      fixturePath("models", "merge_functional", "model.keras"),
      "--input",
      fixturePath("models", "merge_functional", "input0.npy"),
      "--output",
      join(dir, "x.npy"),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/it takes 2 input\(s\), 1 --input given/);
  });
});

describe("kerastore convert", () => {
  it.each([
    ["model.h5", "converted.keras", undefined],
    ["model.keras", "converted.h5", undefined],
    ["model.keras", "converted.json", undefined],
    ["model.h5", "converted-weights.weights.h5", "weights-h5"],
  ])("%s to %s", async (from, to, as) => {
    const target = join(dir, to);
    const args = [
      "convert",
      fixturePath("models", "3_layer_mlp", from),
      target,
      ...(as === undefined ? [] : ["--to", as]),
    ];
    const r = await cli(...args);
    expect(r.code, r.err).toBe(0);
    const input = readFixtureNpy("models", "3_layer_mlp", "input0.npy");
    const expected = readFixtureNpy("models", "3_layer_mlp", "output0.npy");
    if (to.endsWith(".json")) {
      const model = await keras.models.loadModel(target);
      expect(model.name).toBe("3_layer_mlp");
    } else if (as === "weights-h5") {
      const model = await keras.models.loadModel(fixturePath("models", "3_layer_mlp", "model.keras"));
      const fresh = keras.models.cloneModel(model);
      await fresh.loadWeights(target);
      expectAllClose(fresh.predict(input) as NumericHostTensor, expected, { rtol: 1e-5, floor: 1e-3 });
    } else {
      const model = await keras.models.loadModel(target);
      expectAllClose(model.predict(input) as NumericHostTensor, expected, { rtol: 1e-5, floor: 1e-3 });
    }
  });
});

describe("kerastore convert to a name no format claims", () => {
  it("warns in one line which format it wrote (a SavedModel directory for x.onnx) and how to pick another", async () => {
    const target = join(dir, "x.onnx");
    const r = await cli("convert", fixturePath("models", "3_layer_mlp", "model.h5"), target);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe(
      `kerastore: warning: no format writes .onnx files: ${target} will be a savedmodel directory (model.save's rule for a name no format claims); choose another with --to <format> (kerastore convert --help lists them)\n`,
    );
    const model = await keras.models.loadModel(target);
    const input = readFixtureNpy("models", "3_layer_mlp", "input0.npy");
    const expected = readFixtureNpy("models", "3_layer_mlp", "output0.npy");
    expectAllClose(model.predict(input) as NumericHostTensor, expected, { rtol: 1e-5, floor: 1e-3 });
    // A name without an extension is the documented SavedModel rule, and --to says what the user wants: no warning.
    for (const args of [[join(dir, "plain_dir")], [join(dir, "y.onnx"), "--to", "keras"]]) {
      const quiet = await cli("convert", fixturePath("models", "3_layer_mlp", "model.h5"), ...args);
      expect(quiet.code, quiet.err).toBe(0);
      expect(quiet.err).toBe("");
    }
  });

  it("refuses an architecture-only source (model.to_json()) for a destination that holds weights, writing nothing", async () => {
    const target = join(dir, "from-json.keras");
    const r = await cli("convert", fixturePath("models", "mlp_sequential", "model.json"), target);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^kerastore: cannot convert .*model\.json: it is a json file, an architecture with no weights, and keras would hold freshly initialized ones/,
    );
    expect(existsSync(target)).toBe(false);
  });

  it("refuses --quantize, --shard-size and --no-sync for a writer that has no such options", async () => {
    for (const option of [["--quantize", "uint8"], ["--no-sync"]]) {
      const r = await cli("convert", fixturePath("models", "3_layer_mlp", "model.h5"), join(dir, "q.keras"), ...option);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(
        /--quantize, --shard-size and --no-sync are options of --to tfjs, and the destination is keras/,
      );
    }
    expect(existsSync(join(dir, "q.keras"))).toBe(false);
  });
});

describe("the kerastore binary", () => {
  it("loads the engine only for predict: help and inspect never import it", async () => {
    // A module hook in the child reports every module it resolves under packages/engine.
    const hook = join(dir, "engine-hook.mjs");
    await writeFile(
      hook,
      [
        "export async function resolve(specifier, context, next) {",
        "  const result = await next(specifier, context);",
        '  if (result.url.includes("/packages/engine/")) process.stderr.write("engine: " + result.url + "\\n");',
        "  return result;",
        "}",
      ].join("\n"),
    );
    const register = join(dir, "engine-hook-register.mjs");
    await writeFile(
      register,
      `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`,
    );
    const main = join(repoRoot, "packages/kerastore/src/cli/main.ts");
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "--import", register, "--conditions=source", main, ...args], {
        encoding: "utf8",
        cwd: repoRoot,
      });
    const mlp = (f: string) => fixturePath("models", "mlp_sequential", f);
    for (const args of [["help"], ["inspect", mlp("model.h5")], ["inspect", mlp("model.keras")]]) {
      const r = run(...args);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr, args.join(" ")).not.toMatch(/engine:/);
    }
    // The hook sees the engine where it is needed.
    const out = join(dir, "hooked.npy");
    const predict = run("predict", mlp("model.h5"), "--input", mlp("input0.npy"), "--output", out);
    expect(predict.status, predict.stderr).toBe(0);
    expect(predict.stderr).toMatch(/engine: .*packages\/engine\//);
  });

  it("runs as a process: exit 0 with help, 1 with a bad command and no stack trace", () => {
    const main = join(repoRoot, "packages/kerastore/src/cli/main.ts");
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "--conditions=source", main, ...args], {
        encoding: "utf8",
        cwd: repoRoot,
      });
    const ok = run("help");
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/kerastore inspect <path> \[--json\]/);
    const bad = run("inspect", join(dir, "missing.keras"));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^kerastore: cannot open .*missing\.keras: no such file or directory\n$/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    // A file at the root is named as the user wrote it.
    const atRoot = run("inspect", "/kerastore-missing.keras");
    expect(atRoot.stderr).toBe("kerastore: cannot open /kerastore-missing.keras: no such file or directory\n");
  });
});
