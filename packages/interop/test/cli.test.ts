import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readNpy, toFloat32 } from "@kerastore/core";
import { keras } from "kerastore";
import { runCli } from "../../kerastore/src/cli/run.js";
import { beforeAll, describe, expect, it } from "vitest";
import { runPython, runPythonJson } from "../src/index.js";

// The CLI against a live Python reference: Python writes a model and its prediction, the CLI
// predicts from Python's file; the CLI converts to JSON and Python's model_from_json takes it.
const dir = mkdtempSync(join(tmpdir(), "kerastore-cli-interop-"));

async function cli(...argv: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const code = await runCli(argv, { stdout: () => undefined, stderr: (t) => (err += t) });
  return { code, err };
}

beforeAll(async () => {
  await keras.ready();
  await runPython(
    `
import sys, numpy as np, keras
keras.utils.set_random_seed(7)
d = sys.argv[1]
inp = keras.Input((6,), name="x")
h = keras.layers.Dense(5, activation="tanh", name="hidden")(inp)
out = keras.layers.Dense(3, activation="softmax", name="probs")(h)
m = keras.Model(inp, out, name="cli_model")
m.compile(optimizer="adam", loss="categorical_crossentropy")
x = np.random.default_rng(1).normal(size=(8, 6)).astype("float32")
m.save(d + "/py.h5")
m.save(d + "/py.keras")
np.save(d + "/x.npy", x)
np.save(d + "/y.npy", m.predict(x, verbose=0))
`,
    { args: [dir] },
  );
});

describe("kerastore CLI with Python", () => {
  it.each(["py.h5", "py.keras"])("predict on Python's %s writes the .npy Python predicted", async (file) => {
    const out = join(dir, `ours-${file}.npy`);
    const r = await cli("predict", join(dir, file), "--input", join(dir, "x.npy"), "--output", out);
    expect(r.code, r.err).toBe(0);
    const ours = toFloat32(readNpy(new Uint8Array(readFileSync(out))));
    const theirs = toFloat32(readNpy(new Uint8Array(readFileSync(join(dir, "y.npy")))));
    expect(ours.length).toBe(theirs.length);
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i]! - theirs[i]!)).toBeLessThan(1e-6);
  });

  it("convert a.h5 b.json gives JSON that Python's model_from_json accepts", async () => {
    const json = join(dir, "b.json");
    const r = await cli("convert", join(dir, "py.h5"), json);
    expect(r.code, r.err).toBe(0);
    const result = await runPythonJson<{ name: string; layers: string[]; same: boolean }>(
      `
import json, sys, keras
d = sys.argv[1]
m = keras.models.model_from_json(open(d + "/b.json").read())
ref = keras.models.load_model(d + "/py.keras")
print(json.dumps({"name": m.name, "layers": [l.name for l in m.layers], "same": m.get_config() == ref.get_config()}))
`,
      { args: [dir] },
    );
    expect(result).toEqual({ name: "cli_model", layers: ["x", "hidden", "probs"], same: true });
  });
});
