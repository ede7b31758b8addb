import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { readNpy } from "@kerastore/core";
import { fixturePath, readFixtureNpy, realworld } from "@kerastore/fixtures";
import { afterAll, describe, expect, it } from "vitest";
import { expectOutputsClose, loadInTfjs, predictInTfjs } from "./tfjs-test-support.test-util.js";
import { NodeStore } from "@kerastore/core/node";

// `kerastore convert X.h5 web_model --to tfjs`, run as a user runs it: the `kerastore` command
// (from source, through tsx) in a child process, with this package loaded as a plug-in.
const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, "..");
const cliMain = resolve(packageDir, "../kerastore/src/cli/main.ts");
const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), "kerastore-tfjs-cli-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function kerastore(
  args: string[],
  env: Record<string, string> = {},
  imports: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ["--import", "tsx", ...imports.flatMap((i) => ["--import", i]), "--conditions=source", cliMain, ...args],
      {
        cwd: packageDir,
        env: { ...process.env, ...env },
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** A module hook for the child (`--import` it): reports every module resolved under packages/engine. */
function engineHook(): string {
  const hook = join(work, "engine-hook.mjs");
  writeFileSync(
    hook,
    [
      "export async function resolve(specifier, context, next) {",
      "  const result = await next(specifier, context);",
      '  if (result.url.includes("/packages/engine/")) process.stderr.write("engine: " + result.url + "\\n");',
      "  return result;",
      "}",
    ].join("\n"),
  );
  const register = join(work, "engine-hook-register.mjs");
  writeFileSync(
    register,
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hook).href)});\n`,
  );
  return register;
}

describe("kerastore convert --to tfjs", () => {
  it("converts a Keras .h5 with --plugin; tf.loadLayersModel predicts what Keras predicted", async () => {
    const out = join(work, "lstm_web");
    const result = await kerastore([
      "convert",
      fixturePath("models", "lstm", "model.h5"),
      out,
      "--to",
      "tfjs",
      "--plugin",
      "@kerastore/tfjs-layers-format",
    ]);
    expect(result.stderr).not.toMatch(/cannot/);
    expect(result.code).toBe(0);
    const tfjsModel = await loadInTfjs(new NodeStore(work), "lstm_web");
    const [y] = predictInTfjs(tfjsModel, [readFixtureNpy("models", "lstm", "input0.npy")]);
    expectOutputsClose(y!, readFixtureNpy("models", "lstm", "output0.npy"));
  });

  it("loads the plug-in named by KERASTORE_PLUGINS too, and names the blocking layer of a model tfjs-layers cannot read", async () => {
    const out = join(work, "gru_web");
    const result = await kerastore(["convert", fixturePath("models", "gru", "model.h5"), out, "--to", "tfjs"], {
      KERASTORE_PLUGINS: "@kerastore/tfjs-layers-format",
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/tfjs-layers 4\.22 cannot read this layer: gru \(GRU\): reset_after=true/);
    expect(() => readFileSync(join(out, "model.json"))).toThrow();
  });

  it("takes the converter's --quantize and --shard-size: float16 weights in 4 KiB shards predict within float16's error", async () => {
    const out = join(work, "lstm_f16");
    const args = ["convert", fixturePath("models", "lstm", "model.h5"), out, "--to", "tfjs", "--quantize", "float16"];
    const result = await kerastore([...args, "--shard-size", "4096", "--plugin", "@kerastore/tfjs-layers-format"]);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, "model.json"), "utf8"));
    const weights = json.weightsManifest[0].weights as { shape: number[]; quantization?: { dtype: string } }[];
    expect(weights.every((w) => w.quantization?.dtype === "float16")).toBe(true);
    const bytes = weights.reduce((n, w) => n + 2 * w.shape.reduce((a, b) => a * b, 1), 0);
    expect(json.weightsManifest[0].paths.length).toBe(Math.ceil(bytes / 4096));
    const tfjsModel = await loadInTfjs(new NodeStore(work), "lstm_f16");
    const [y] = predictInTfjs(tfjsModel, [readFixtureNpy("models", "lstm", "input0.npy")]);
    expectOutputsClose(y!, readFixtureNpy("models", "lstm", "output0.npy"), { rtol: 1e-2, atol: 1e-2 });
  });

  it("--no-sync (no flush to disk, as tensorflowjs_converter) writes the same files, whole under the final name", async () => {
    const source = fixturePath("models", "lstm", "model.h5");
    const plugin = ["--plugin", "@kerastore/tfjs-layers-format"];
    for (const [name, extra] of [
      ["lstm_sync", []],
      ["lstm_nosync", ["--no-sync"]],
    ] as const) {
      const result = await kerastore(["convert", source, join(work, name), "--to", "tfjs", ...extra, ...plugin]);
      expect(result.code, result.stderr).toBe(0);
    }
    for (const file of ["model.json", "group1-shard1of1.bin"])
      expect(readFileSync(join(work, "lstm_nosync", file))).toEqual(readFileSync(join(work, "lstm_sync", file)));
    expect(readdirSync(work).filter((n) => n.includes("kerastore-stage"))).toEqual([]);
    const tfjsModel = await loadInTfjs(new NodeStore(work), "lstm_nosync");
    const [y] = predictInTfjs(tfjsModel, [readFixtureNpy("models", "lstm", "input0.npy")]);
    expectOutputsClose(y!, readFixtureNpy("models", "lstm", "output0.npy"));
  });

  it("reads through a save killed after its commit point (the staged .h5 named by the commit record), and not without one", async () => {
    const dir = join(work, "pending");
    mkdirSync(dir);
    const staged = ".model.h5.kerastore-stage-4194305-abcdef";
    copyFileSync(fixturePath("models", "lstm", "model.h5"), join(dir, staged));
    const plugin = ["--plugin", "@kerastore/tfjs-layers-format"];
    // No record: model.h5 does not exist.
    const missing = await kerastore(["convert", join(dir, "model.h5"), join(dir, "web0"), "--to", "tfjs", ...plugin]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/model\.h5/);
    writeFileSync(
      join(dir, ".model.h5.kerastore-commit"),
      JSON.stringify({ kerastoreCommit: 1, moves: [[staged, "model.h5"]], removes: [] }),
    );
    const result = await kerastore(["convert", join(dir, "model.h5"), join(dir, "web"), "--to", "tfjs", ...plugin]);
    expect(result.code, result.stderr).toBe(0);
    const tfjsModel = await loadInTfjs(new NodeStore(dir), "web");
    const [y] = predictInTfjs(tfjsModel, [readFixtureNpy("models", "lstm", "input0.npy")]);
    expectOutputsClose(y!, readFixtureNpy("models", "lstm", "output0.npy"));
  });

  it("converts file to file without importing the engine (a module hook in the process sees every import)", async () => {
    const register = engineHook();
    const source = fixturePath("models", "lstm", "model.h5");
    const plugin = ["--plugin", "@kerastore/tfjs-layers-format"];
    const direct = await kerastore(["convert", source, join(work, "hooked_web"), "--to", "tfjs", ...plugin], {}, [
      register,
    ]);
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stderr).not.toMatch(/engine:/);
    // The live-model road (here --to h5, which has no convertFrom) loads it: the hook sees it.
    const live = await kerastore(["convert", source, join(work, "hooked.h5"), ...plugin], {}, [register]);
    expect(live.code, live.stderr).toBe(0);
    expect(live.stderr).toMatch(/engine: .*packages\/engine\//);
  });

  it("refuses a bad --quantize before reading anything", async () => {
    const out = join(work, "bad_q");
    const result = await kerastore([
      "convert",
      fixturePath("models", "lstm", "model.h5"),
      out,
      "--to",
      "tfjs",
      "--quantize",
      "int4",
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/--quantize takes float16, uint8 or uint16, not "int4"/);
  });

  const rw = realworld();
  it.skipIf(rw.dir === undefined)(
    `a weights-only .h5 (save_weights) is refused at once, naming what to do, without loading the engine${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
    async () => {
      const out = join(work, "weights_only_web");
      const result = await kerastore(
        [
          "convert",
          join(rw.dir ?? "", "HsinM__mnist-NCS__weights.h5"),
          out,
          "--to",
          "tfjs",
          "--plugin",
          "@kerastore/tfjs-layers-format",
        ],
        {},
        [engineHook()],
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /kerastore: cannot load a model from .*HsinM__mnist-NCS__weights\.h5: a h5 file holds only weights; build the model in code and call model\.loadWeights\(\)/,
      );
      expect(result.stderr).not.toMatch(/engine:/);
      expect(readdirSync(work).filter((n) => n.includes("weights_only_web"))).toEqual([]);
    },
  );

  it.skipIf(rw.dir === undefined)(
    `converts a real-world tf.keras 2 .h5 file to file, quantized as the converter's flags say${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
    async () => {
      const dir = rw.dir ?? "";
      const out = join(work, "mnist_web");
      const result = await kerastore([
        "convert",
        join(dir, "HsinM__mnist-NCS__model.h5"),
        out,
        "--to",
        "tfjs",
        // As tensorflowjs_converter spells them: uint8 for every weight, 64 KiB shards.
        "--quantize_uint8",
        "--weight_shard_size_bytes=65536",
        "--plugin",
        "@kerastore/tfjs-layers-format",
      ]);
      expect(result.code, result.stderr).toBe(0);
      const tfjsModel = await loadInTfjs(new NodeStore(work), "mnist_web");
      const input = readNpy(new Uint8Array(readFileSync(join(dir, "HsinM__mnist-NCS__model.input0.npy"))));
      const expected = readNpy(new Uint8Array(readFileSync(join(dir, "HsinM__mnist-NCS__model.output0.npy"))));
      const json = JSON.parse(readFileSync(join(out, "model.json"), "utf8"));
      const weights = json.weightsManifest[0].weights as { shape: number[]; quantization?: { dtype: string } }[];
      expect(weights.every((w) => w.quantization?.dtype === "uint8")).toBe(true);
      const bytes = weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
      expect(json.weightsManifest[0].paths.length).toBe(Math.ceil(bytes / 65536));
      // uint8 weights: the softmax outputs within a few hundredths of Keras's.
      expectOutputsClose(predictInTfjs(tfjsModel, [input])[0]!, expected, { rtol: 0, atol: 0.05 });
    },
  );
});
