import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { fixturePath, readFixture } from "@kerastore/fixtures";
import { type H5ReadBackend, readKerasH5, writeKeras3WeightsH5, writeLegacyH5 } from "../src/node.js";

const here = dirname(fileURLToPath(import.meta.url));
const SEEDS = ["seq.h5", "fun.h5", "seq.weights.h5", "fun.weights.h5", "strings.h5"].map((f) => fixturePath("h5", f));
/** A mutated file that takes longer than this to fail is a hang. */
const PER_FILE_MS = 10_000;

interface Line {
  name: string;
  outcome: "read" | "error" | "crash";
  code?: string;
  path?: string;
  message?: string;
}

/** Runs the mutation runner in its own process, killing it when one file stalls. */
function runMutations(
  backend: H5ReadBackend,
  seeds: string[],
): Promise<{ lines: Line[]; stalled: boolean; exit: number | null }> {
  return new Promise((resolve) => {
    const args = [
      "--import",
      "tsx",
      "--conditions",
      "source",
      join(here, "mutate-runner.ts"),
      `--backend=${backend}`,
      ...seeds,
    ];
    const child = spawn(process.execPath, args, {
      cwd: join(here, ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Line[] = [];
    let buffer = "";
    let stalled = false;
    let timer = setTimeout(stall, PER_FILE_MS * 3);
    function stall() {
      stalled = true;
      child.kill("SIGKILL");
    }
    child.stdout.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf("\n");
      while (nl >= 0) {
        lines.push(JSON.parse(buffer.slice(0, nl)) as Line);
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf("\n");
      }
      clearTimeout(timer);
      timer = setTimeout(stall, PER_FILE_MS);
    });
    child.on("close", (exit) => {
      clearTimeout(timer);
      resolve({ lines, stalled, exit });
    });
  });
}

/** Seeds in the native writer's layout (superblock v2, v2 object headers, checksums). */
async function nativeSeeds(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "kerastore-h5-mutate-"));
  const { readKerasH5: read } = await import("../src/index.js");
  const { data } = await read(readFixture("h5", "seq.h5"));
  const out = [join(dir, "native-seq.h5"), join(dir, "native-seq.weights.h5")];
  writeFileSync(out[0]!, await writeLegacyH5(data));
  writeFileSync(out[1]!, await writeKeras3WeightsH5(data));
  return out;
}

describe("bad input", () => {
  it.each([
    ["auto", "native reader, h5wasm for what it leaves"],
    ["h5wasm", "h5wasm reader"],
  ] as const)(
    "%s (%s): a typed error naming the file and place for each of 200+ mutated files, never a crash or hang",
    async (backend) => {
      const seeds =
        backend === "auto" ? [...SEEDS, fixturePath("h5", "dense_links.h5"), ...(await nativeSeeds())] : SEEDS;
      const { lines, stalled, exit } = await runMutations(backend, seeds);
      expect(stalled, `stalled after ${lines.at(-1)?.name}`).toBe(false);
      expect(exit).toBe(0);
      expect(lines.length).toBeGreaterThanOrEqual(200);
      const crashes = lines.filter((l) => l.outcome === "crash");
      expect(crashes).toEqual([]);
      const errors = lines.filter((l) => l.outcome === "error");
      for (const e of errors) {
        expect(e.path, e.message).toContain(e.name);
        expect(e.message).toMatch(/^cannot \w+/);
        expect(e.message).toContain(e.name);
      }
      // Most mutations must be caught; some flips land in unused bytes and change nothing.
      expect(errors.length).toBeGreaterThan(lines.length / 3);
      const notJson = lines.filter((l) => l.name.endsWith("#config-not-json"));
      expect(notJson.length).toBeGreaterThanOrEqual(2);
      for (const l of notJson) expect(l).toMatchObject({ code: "corrupt", path: `${l.name}:/@model_config` });
      for (const l of lines.filter((x) => x.name.endsWith("#truncate@0"))) expect(l.code).toBe("not-hdf5");
    },
    600_000,
  );

  it("refuses a dataset whose declared shape needs more bytes than the file has", async () => {
    const { writeLegacyH5 } = await import("../src/index.js");
    const big = { dtype: "float32" as const, shape: [64, 64], data: new Float32Array(64 * 64).fill(1) };
    const bytes = await writeLegacyH5(
      {
        root: {
          className: "Model",
          variables: [],
          children: [
            {
              name: "d",
              node: {
                className: "Dense",
                name: "d",
                variables: [{ name: "kernel", path: "d/kernel", trainable: true, value: big }],
                children: [],
              },
            },
          ],
        },
      },
      { weightsOnly: true },
    );
    // Grow the first dimension (64 → 65536) in the dataspace message: 4 bytes of little-endian 64.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let patched = 0;
    for (let i = 0; i + 16 <= bytes.byteLength; i++) {
      if (view.getBigUint64(i, true) === 64n && view.getBigUint64(i + 8, true) === 64n) {
        view.setBigUint64(i, 65536n, true);
        patched++;
      }
    }
    expect(patched).toBeGreaterThan(0);
    await expect(readKerasH5(bytes, { name: "lying.h5" })).rejects.toMatchObject({
      path: expect.stringContaining("lying.h5:/d/d/kernel:0"),
    });
  });
});
