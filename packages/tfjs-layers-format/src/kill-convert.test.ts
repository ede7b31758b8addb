import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { JsonObject, SavedModelData, SavedNode } from "@kerastore/core";
import { NodeStore } from "@kerastore/core/node";
import { legacyH5Format } from "kerastore";
import { afterAll, describe, expect, it } from "vitest";
import { tfjsLayersFormat } from "./node.js";

// `kerastore convert m.h5 web_model --to tfjs` killed (SIGKILL) at random moments: a directory
// under a final name is always whole (model.json and every shard, byte for byte what an
// uninterrupted conversion writes), never half-written; the killed conversion leaves only its
// hidden staging directory, which the next conversion into the same parent removes.
const CHILD = fileURLToPath(new URL("./kill-child.test-util.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "kerastore-tfjs-kill-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const options = { includeOptimizer: false, weightsOnly: false, liveModel: undefined, onWarning: () => {} };

/** A tf.keras 2 Sequential of four Dense 256x256 as the legacy H5 writer writes it (1 MiB of weights). */
function tree(): SavedModelData {
  const children: { name: string; node: SavedNode }[] = [];
  const layers: JsonObject[] = [];
  for (let i = 0; i < 4; i++) {
    const name = `dense_${i}`;
    const kernel = Float32Array.from({ length: 256 * 256 }, (_, j) => Math.sin(i * 7 + j));
    const bias = Float32Array.from({ length: 256 }, (_, j) => Math.cos(i + j));
    const v = (n: string, shape: number[], data: Float32Array) => ({
      name: n,
      path: `${name}/${n}`,
      trainable: true,
      value: { dtype: "float32" as const, shape, data },
    });
    children.push({
      name,
      node: {
        className: "Dense",
        name,
        variables: [v("kernel", [256, 256], kernel), v("bias", [256], bias)],
        children: [],
      },
    });
    const config: JsonObject = { name, units: 256, activation: "relu", use_bias: true, dtype: "float32" };
    if (i === 0) config["batch_input_shape"] = [null, 256];
    layers.push({ class_name: "Dense", config });
  }
  return {
    root: { className: "Sequential", name: "seq", variables: [], children },
    modelConfig: { class_name: "Sequential", config: { name: "seq", layers } },
    kerasVersion: "2.15.0",
    backend: "tensorflow",
  };
}

/** model.json and the shards of a tfjs directory, as one comparable record. */
function contents(dir: string): { files: string[]; bytes: Record<string, string> } {
  const files = readdirSync(dir).sort();
  const bytes: Record<string, string> = {};
  for (const f of files) bytes[f] = readFileSync(join(dir, f)).toString("base64");
  return { files, bytes };
}

function killDuringConversions(work: string, delay: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", CHILD, root, "m.h5", work], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += String(d);
    });
    child.stdout.on("data", (d: Buffer) => {
      if (String(d).includes("ready")) setTimeout(() => child.kill("SIGKILL"), delay);
    });
    child.on("exit", (code, signal) =>
      signal === "SIGKILL" ? resolve() : reject(new Error(`the child exited (${code}): ${stderr.slice(-400)}`)),
    );
  });
}

describe("SIGKILL during kerastore convert --to tfjs (file to file)", () => {
  it("12 to 40 kills: every web_* directory is whole, the killed one is a hidden staging directory, removed by the next conversion", {
    timeout: 300_000,
  }, async () => {
    const store = new NodeStore(root);
    await legacyH5Format.write({ store, path: "m.h5" }, tree(), { ...options, dialect: "keras2" });
    const location = { store, path: "m.h5" };
    const source = {
      reader: legacyH5Format,
      location,
      read: () => legacyH5Format.read(location, { safeMode: true, onWarning: () => {}, values: "lazy" }),
    };
    expect(
      await tfjsLayersFormat.convertFrom({ store, path: "reference" }, source, {
        ...options,
        shardSizeBytes: 256 * 1024,
      }),
    ).toBe(true);
    const reference = contents(join(root, "reference"));
    expect(reference.files.length).toBe(6); // 1 MiB + 4 KiB of weights in 256 KiB shards, and model.json
    let whole = 0;
    let staged = 0;
    // At least 12 kills, and on until at least 4 landed inside a conversion and 4 after whole
    // ones, up to 40. How long a conversion takes depends on the machine and its load, so the
    // delay before the kill follows the trials: shorter after a trial that found no staging
    // directory, longer after one that found no whole directory (with some spread).
    let delay = 200;
    for (let trial = 0; trial < 40 && (trial < 12 || staged < 4 || whole < 4); trial++) {
      const work = join(root, `trial_${trial}`);
      const [stagedBefore, wholeBefore] = [staged, whole];
      await killDuringConversions(work, Math.round(delay * (0.75 + ((trial * 37) % 50) / 100)));
      let entries: string[] = [];
      try {
        entries = readdirSync(work);
      } catch {
        continue; // killed before the first conversion made its parent directory
      }
      for (const name of entries) {
        if (name.startsWith(".")) {
          expect(name).toMatch(/^\.web_\d+\.kerastore-stage-\d+-[0-9a-f]+$/);
          staged++;
          continue;
        }
        expect(contents(join(work, name)), `${work}/${name}`).toEqual(reference);
        whole++;
      }
      // The next conversion into this parent removes the dead process's staging directory.
      expect(
        await tfjsLayersFormat.convertFrom({ store: new NodeStore(work), path: "after" }, source, {
          ...options,
          shardSizeBytes: 256 * 1024,
        }),
      ).toBe(true);
      expect(readdirSync(work).filter((n) => n.startsWith("."))).toEqual([]);
      expect(contents(join(work, "after"))).toEqual(reference);
      if (staged === stagedBefore) delay = Math.max(20, delay * 0.7);
      else if (whole === wholeBefore) delay = Math.min(5_000, delay * 1.5);
    }
    // The kills must land inside conversions and after some, or the test proves nothing.
    expect(staged).toBeGreaterThan(3);
    expect(whole).toBeGreaterThan(3);
  });
});
