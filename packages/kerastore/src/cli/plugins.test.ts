import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readNpy } from "@kerastore/core";
import { fixturePath, readFixtureNpy } from "@kerastore/fixtures";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras } from "../node.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
import { cliFormats } from "./plugins.js";
import { runCli } from "./run.js";

// A plug-in as a third party ships it: plain JavaScript, no import of Kerastore, exporting
// kerastoreFormats. Its format keeps a model as one JSON file: the config and each layer's
// weights as arrays (float32 only), read back as a layer list.
const PLUGIN = `
const enc = new TextEncoder();
const dec = new TextDecoder();
export const kerastoreFormats = [{
  name: "json-model",
  description: "a whole model as one JSON file (a test plug-in)",
  extensions: [".jmodel"],
  holds: { architecture: true, weights: true, optimizer: false },
  sniff: (head) => dec.decode(head).startsWith('{"jmodel":'),
  async read({ store, path }) {
    const file = JSON.parse(dec.decode(await store.read(path)));
    const children = file.layers.map((l) => ({ name: l.name, node: { className: l.className, name: l.name, children: [],
      variables: l.weights.map((w, i) => ({ name: String(i), path: w.path, trainable: true, value: { dtype: "float32", shape: w.shape, data: Float32Array.from(w.data) } })) } }));
    return { data: { root: { className: "Model", variables: [], children }, modelConfig: file.config },
      layout: "layer-list", holds: this.holds, format: this.name, description: this.description };
  },
  plan: () => ({ dialect: "keras3", computes: "by-name", optimizer: false }),
  async write({ store, path }, data, options) {
    const layers = data.root.children.filter((e) => e.name !== "optimizer").map((e) => ({ name: e.name, className: e.node.className,
      weights: e.node.variables.map((v) => ({ path: v.path, shape: v.value.shape, data: Array.from(v.value.data) })) }));
    await store.write(path, enc.encode(JSON.stringify({ jmodel: options.mark ?? 1, config: data.modelConfig, layers })));
  },
}];
`;

let dir: string;
let plugin: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-plugins-"));
  plugin = join(dir, "json-model-plugin.mjs");
  await writeFile(plugin, PLUGIN);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function cli(
  argv: string[],
  env: { plugins?: string; cwd?: string } = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    plugins: env.plugins,
    cwd: env.cwd ?? dir,
  });
  return { code, out, err };
}

const source = fixturePath("models", "mlp_sequential", "model.h5");
const input = fixturePath("models", "mlp_sequential", "input0.npy");
const expected = () => readFixtureNpy("models", "mlp_sequential", "output0.npy");

describe("kerastore CLI plug-ins", () => {
  it("--plugin <path>: convert to the plug-in's format (by extension and by --to), inspect it, predict from it", async () => {
    const target = join(dir, "flag.jmodel");
    expect(await cli(["convert", source, target, "--plugin", plugin])).toMatchObject({ code: 0, err: "" });
    expect((await readFile(target, "utf8")).startsWith('{"jmodel":1')).toBe(true);
    const byName = join(dir, "by-name.out");
    expect(await cli(["convert", source, byName, "--to", "json-model", `--plugin=${plugin}`])).toMatchObject({
      code: 0,
      err: "",
    });
    expect(await readFile(byName, "utf8")).toBe(await readFile(target, "utf8"));
    const report = await cli(["inspect", target, "--json", "--plugin", plugin]);
    expect(report.code).toBe(0);
    expect(JSON.parse(report.out)).toMatchObject({ format: "json-model", modelClass: "Sequential" });
    const out = join(dir, "y.npy");
    expect(await cli(["predict", target, "--input", input, "--output", out, "--plugin", plugin])).toMatchObject({
      code: 0,
      err: "",
    });
    expectAllClose(readNpy(await readFile(out)), expected(), { rtol: 1e-5, floor: 1e-3 });
    // Without the plug-in only the built-in JSON reader claims the file, and refuses it.
    const without = await cli(["inspect", target]);
    expect(without.code).toBe(1);
    expect(without.err).toMatch(/^kerastore: cannot read .*flag\.jmodel: expected model JSON with "class_name"/);
  });

  it("KERASTORE_PLUGINS and the nearest package.json's kerastore.plugins name plug-ins too", async () => {
    const fromEnv = join(dir, "env.jmodel");
    expect(await cli(["convert", source, fromEnv], { plugins: ` ${plugin} ,` })).toMatchObject({ code: 0, err: "" });
    const project = join(dir, "project", "sub");
    await mkdir(project, { recursive: true });
    await writeFile(
      join(dir, "project", "package.json"),
      JSON.stringify({ name: "p", kerastore: { plugins: ["../json-model-plugin.mjs"] } }),
    );
    const fromManifest = join(dir, "manifest.jmodel");
    expect(await cli(["convert", source, fromManifest], { cwd: project })).toMatchObject({ code: 0, err: "" });
    expect(JSON.parse(await readFile(fromManifest, "utf8")).layers).toEqual(
      JSON.parse(await readFile(fromEnv, "utf8")).layers,
    );
    const help = await cli(["convert", "--help"], { cwd: project });
    expect(help.out).toMatch(/Formats that can write here: .*json-model/);
  });

  it("a plug-in that is missing or exports no formats is a one-line error, exit 1, no stack trace", async () => {
    const missing = await cli(["inspect", source, "--plugin", "./nope.mjs"]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(
      /^kerastore: cannot load plugin "\.\/nope\.mjs": no such file .*nope\.mjs \(named by --plugin\)\n$/,
    );
    const notInstalled = await cli(["inspect", source, "--plugin", "kerastore-no-such-plugin"]);
    expect(notInstalled.err).toMatch(/^kerastore: cannot load plugin "kerastore-no-such-plugin": it is not installed/);
    await writeFile(join(dir, "empty.mjs"), "export const formats = [];\n");
    const empty = await cli(["inspect", source, "--plugin", join(dir, "empty.mjs")]);
    expect(empty.err).toMatch(/cannot load plugin .*empty\.mjs": its main entry exports no kerastoreFormats array\n$/);
    await writeFile(join(dir, "bad.mjs"), "export const kerastoreFormats = [{ name: 'half' }];\n");
    const bad = await cli(["inspect", source, "--plugin", join(dir, "bad.mjs")]);
    expect(bad.err).toMatch(
      /kerastoreFormats\[0\] is neither a ModelReader \(read\) nor a ModelWriter \(plan, write\)/,
    );
    expect((await cli(["inspect", source, "--plugin"])).err).toMatch(/--plugin needs a package name or a path/);
  });

  it("a plug-in's format named like a built-in one replaces it in the CLI", async () => {
    const replacing = join(dir, "replace-h5.mjs");
    await writeFile(
      replacing,
      PLUGIN.replace('name: "json-model"', 'name: "h5"').replace('extensions: [".jmodel"]', 'extensions: [".h5"]'),
    );
    const target = join(dir, "not-really.h5");
    expect(await cli(["convert", source, target, "--plugin", replacing])).toMatchObject({ code: 0, err: "" });
    expect((await readFile(target, "utf8")).startsWith('{"jmodel":')).toBe(true);
  });

  it("first-party plug-ins load when they resolve, are skipped when absent, and warn (not fail) when broken", async () => {
    const broken = join(dir, "broken.mjs");
    await writeFile(broken, "throw new Error('boom');\n");
    const warnings: string[] = [];
    const formats = await cliFormats({
      flags: [],
      env: undefined,
      cwd: dir,
      firstParty: [plugin, "@kerastore/no-such-format", broken],
      onWarning: (m) => warnings.push(m),
    });
    expect(formats.formats.map((f) => f.name)).toContain("json-model");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot load plugin ".*broken\.mjs": importing it failed: boom; going on without it/);
  });
});
