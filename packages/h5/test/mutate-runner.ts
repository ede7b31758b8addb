/**
 * Reads mutated Keras H5 files one by one and prints one JSON line per file, so the test
 * that spawns this process can kill it if a file hangs and still see how far it got.
 * Usage: node --import tsx --conditions source mutate-runner.ts [--backend=auto|native|h5wasm] <seed files...>
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { type H5ReadBackend, H5Error, readKerasH5 } from "../src/node.js";

/** A small seeded PRNG (mulberry32), so every run mutates the same way. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function* mutations(bytes: Uint8Array, seed: number): Generator<[string, Uint8Array]> {
  const rand = prng(seed);
  for (const frac of [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
    yield [`truncate@${frac}`, bytes.slice(0, Math.floor(bytes.byteLength * frac))];
  }
  const meta = Math.min(bytes.byteLength, 8192);
  for (let i = 0; i < 40; i++) {
    const copy = bytes.slice();
    const at = i < 30 ? Math.floor(rand() * meta) : Math.floor(rand() * bytes.byteLength);
    copy[at] = (copy[at]! ^ (1 << Math.floor(rand() * 8))) & 0xff;
    yield [`flip@${at}`, copy];
  }
  for (let i = 0; i < 5; i++) {
    const copy = bytes.slice();
    const at = Math.floor(rand() * meta);
    copy.fill(0xff, at, Math.min(copy.byteLength, at + 8));
    yield [`ones@${at}`, copy];
  }
  const text = new TextDecoder("latin1").decode(bytes);
  const json = text.indexOf('{"class_name"');
  if (json >= 0) {
    const copy = bytes.slice();
    copy[json] = 0x23; // '#': model_config no longer parses as JSON
    yield ["config-not-json", copy];
  }
}

const args = process.argv.slice(2);
const backend = (args.find((a) => a.startsWith("--backend="))?.slice(10) ?? "auto") as H5ReadBackend;
const files = args.filter((a) => !a.startsWith("--"));
let seed = 1;
for (const path of files) {
  const bytes = new Uint8Array(readFileSync(path));
  for (const [how, mutated] of mutations(bytes, seed++)) {
    const name = `${basename(path)}#${how}`;
    const t0 = Date.now();
    let line: Record<string, unknown>;
    try {
      const result = await readKerasH5(mutated, { name, backend });
      line = { name, outcome: "read", kind: result.kind };
    } catch (error) {
      line =
        error instanceof H5Error
          ? { name, outcome: "error", code: error.code, path: error.path, message: error.message }
          : { name, outcome: "crash", message: String((error as Error)?.stack ?? error) };
    }
    line.ms = Date.now() - t0;
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}
