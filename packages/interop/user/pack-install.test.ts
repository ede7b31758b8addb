import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixturePath, repoRoot } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// What a user outside this monorepo gets: every published package packed as npm would publish
// it (`pnpm pack`, workspace:* turned into versions), installed with plain `npm install` into a
// fresh project in a temp folder, then a script and the CLI run there. Needs the packages built.

const published = readdirSync(join(repoRoot, "packages"))
  .map((name) => join(repoRoot, "packages", name))
  .filter((dir) => {
    try {
      return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).private !== true;
    } catch {
      return false;
    }
  });

let root: string;
let project: string;

const run = (cmd: string, args: string[], cwd: string) => spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false" } });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "kerastore-user-"));
  const tarballs = join(root, "tarballs");
  project = join(root, "project");
  mkdirSync(tarballs);
  mkdirSync(project);
  const deps: Record<string, string> = {};
  for (const dir of published) {
    const name = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name as string;
    const out = execFileSync("pnpm", ["pack", "--pack-destination", tarballs], { cwd: dir, encoding: "utf8" });
    const file = out.trim().split("\n").at(-1)!.trim();
    deps[name] = `file:${join(tarballs, file.split("/").at(-1)!)}`;
  }
  // Every @kerastore dependency of a tarball resolves to the packed one, not to the registry.
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "first-hour", private: true, type: "module", dependencies: deps, overrides: deps }, null, 2));
  const install = run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], project);
  if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}\n${install.stderr}`);
  copyFileSync(fixturePath("models", "mlp_sequential", "model.keras"), join(project, "model.keras"));
  copyFileSync(fixturePath("models", "mlp_sequential", "input0.npy"), join(project, "x.npy"));
  copyFileSync(fixturePath("models", "mlp_sequential", "output0.npy"), join(project, "expected.npy"));
}, 600_000);

afterAll(() => {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

const SCRIPT = `
import { readFile } from "node:fs/promises";
import { keras, readNpy } from "kerastore";

const x = readNpy(new Uint8Array(await readFile("x.npy")));
const expected = readNpy(new Uint8Array(await readFile("expected.npy")));
const model = await keras.models.loadModel("model.keras");
const y = model.predictOne(x);
await model.save("copy.keras");
await model.save("copy.h5");
const again = (await keras.models.loadModel("copy.h5")).predictOne(x);
let worst = 0;
for (let i = 0; i < expected.data.length; i++) worst = Math.max(worst, Math.abs(y.data[i] - expected.data[i]), Math.abs(again.data[i] - expected.data[i]));
console.log(JSON.stringify({ shape: y.shape, worst, layers: Object.keys(keras.layers).length }));
`;

const TYPED = `
import { type HostTensor, keras } from "kerastore";
const model = await keras.models.loadModel("model.keras");
const x: HostTensor = keras.utils.hostTensor("float32", [1, 4], new Float32Array(4));
const y: HostTensor = model.predictOne(x);
const conv = new keras.layers.Conv2D({ filters: 2, kernelSize: 3 });
console.log(y.shape, conv.name);
`;

describe("the published packages, installed with npm outside the workspace", () => {
  it("`import { keras } from \"kerastore\"` loads, predicts and saves as Keras did", () => {
    writeFileSync(join(project, "smoke.mjs"), SCRIPT);
    const r = run(process.execPath, ["smoke.mjs"], project);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
    expect(out.worst).toBeLessThan(1e-5);
    expect(out.layers).toBeGreaterThan(60);
  });

  it("its types check in a user's TypeScript project (strict, NodeNext), and a type error is caught", () => {
    writeFileSync(join(project, "typed.ts"), TYPED);
    writeFileSync(
      join(project, "tsconfig.json"),
      // skipLibCheck as most projects set it: tfjs-core's own .d.ts need @types/long.
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ["typed.ts"] }),
    );
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    const r = run(process.execPath, [tsc, "-p", "tsconfig.json"], project);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
    // The types are real, not any: a wrong use fails.
    writeFileSync(join(project, "typed.ts"), `${TYPED}\nconst wrong: string = model.predictOne(x);\n`);
    const bad = run(process.execPath, [tsc, "-p", "tsconfig.json"], project);
    expect(bad.stdout).toMatch(/typed\.ts\(\d+,\d+\): error TS2322: Type 'HostTensor' is not assignable to type 'string'/);
  });

  it("`npx kerastore` runs: --version, inspect, predict; and prints no tfjs banner", () => {
    const version = JSON.parse(readFileSync(join(repoRoot, "packages/kerastore/package.json"), "utf8")).version as string;
    const v = run("npx", ["--no-install", "kerastore", "--version"], project);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const i = run("npx", ["--no-install", "kerastore", "inspect", "model.keras"], project);
    expect(i.status, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/Keras 3 \.keras archive|keras/);
    expect(i.stdout).toMatch(/parameters: /);
    const p = run("npx", ["--no-install", "kerastore", "predict", "model.keras", "--input", "x.npy", "--output", "y.npy"], project);
    expect(p.status, p.stderr).toBe(0);
    for (const r of [v, i, p]) expect(r.stdout + r.stderr).not.toMatch(/looks like you are running TensorFlow\.js/);
  });

  it("`npx kerastore convert model.keras web_model --to tfjs` finds the installed first-party plug-in by itself", () => {
    const c = run("npx", ["--no-install", "kerastore", "convert", "model.keras", "web_model", "--to", "tfjs"], project);
    expect(c.status, c.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(project, "web_model", "model.json"), "utf8"));
    expect(json.format).toBe("layers-model");
    expect(json.weightsManifest[0].paths).toEqual(["group1-shard1of1.bin"]);
    const back = run("npx", ["--no-install", "kerastore", "inspect", "web_model"], project);
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/TensorFlow\.js Layers model/);
  });
});
