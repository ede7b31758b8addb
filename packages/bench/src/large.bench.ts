// Large models: synthetic float32 models of KERASTORE_LARGE_GIB GiB (default 3; `6` for the
// big run) written in each format (KERASTORE_LARGE_FORMATS picks some), then read back in fresh processes (src/large-child.ts):
// inspect (metadata only), load (every tensor into host memory), and a raw sequential read of
// the same files into fresh buffers as the baseline, measured before and after the load. Peak
// RSS is each child's own. Files live in a private temp dir and are deleted after each format.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LAYER_BYTES } from "./large-model.js";
import { writeBenchSection } from "./report.js";

const child = join(dirname(fileURLToPath(import.meta.url)), "large-child.ts");
const ALL_FORMATS = ["h5", "weights-h5", "keras", "sharded", "checkpoint"] as const;
// KERASTORE_LARGE_FORMATS=checkpoint,h5 measures some formats only: the table is printed, not written to the docs.
const FORMATS = (process.env.KERASTORE_LARGE_FORMATS?.split(",") ?? ALL_FORMATS).filter((f) =>
  (ALL_FORMATS as readonly string[]).includes(f),
);
const ALL = FORMATS.length === ALL_FORMATS.length;
const GiB = 2 ** 30;

type Result = Record<string, unknown> & { ms: number; peakRss: number; baseRss: number };

function step(...args: string[]): Result {
  const result = spawnSync(process.execPath, [...process.execArgv, child, ...args], {
    encoding: "utf8",
    maxBuffer: 16 * 2 ** 20,
  });
  if (result.status !== 0 && args[0] === "wasm-limit") {
    // The WASM module may abort the whole process past its heap: keep the last step it reported.
    const last = JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}") as Result;
    return {
      ...last,
      error: `the process died (exit ${result.status}, ${result.signal ?? "no signal"}): ${result.stderr.trim().split("\n").slice(-2).join(" ").slice(0, 200)}`,
    };
  }
  if (result.status !== 0)
    throw new Error(`large child ${args.join(" ")} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  const parsed = JSON.parse(result.stdout.trim().split("\n").pop()!) as Result;
  console.log(
    `  ${args[0]} ${args[1] ?? ""}: ${(parsed.ms / 1000).toFixed(2)} s, peak RSS ${(parsed.peakRss / GiB).toFixed(2)} GiB`,
  );
  return parsed;
}

async function runSize(gib: number): Promise<string[]> {
  const layers = Math.round((gib * GiB) / LAYER_BYTES);
  const weights = layers * LAYER_BYTES;
  const dir = mkdtempSync(join(tmpdir(), "kerastore-bench-large-"));
  const free = (() => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  })();
  if (free < weights * 1.5 + 4 * GiB)
    throw new Error(
      `${(free / GiB).toFixed(1)} GiB free in ${dir}, the ${gib} GiB benchmark needs ${((weights * 1.5) / GiB + 4).toFixed(1)}`,
    );
  const rows: string[] = [];
  try {
    for (const format of FORMATS) {
      console.log(`${gib} GiB, ${format}:`);
      const write = step("write", format, dir, String(layers));
      const files = readdirSync(dir).map((f) => join(dir, f));
      const size = files.reduce((n, f) => n + statfsSafeSize(f), 0);
      const raw1 = step("raw", ...files);
      const inspect = step("inspect", format, dir, String(layers));
      const load = step("load", format, dir, String(layers));
      const raw2 = step("raw", ...files);
      const raw = (raw1.ms + raw2.ms) / 2;
      const inPlace =
        format === "keras" ? (load.weightsInPlace ? " (stored member read in place)" : " (deflated: inflated)") : "";
      rows.push(
        `| ${format}${inPlace} | ${(size / GiB).toFixed(2)} | ${(write.ms / 1000).toFixed(1)} | ${(write.peakRss / GiB).toFixed(2)} | ${inspect.ms.toFixed(0)} | ${(load.ms / 1000).toFixed(2)} | ${(raw / 1000).toFixed(2)} | **${(load.ms / raw).toFixed(2)}x** | ${(load.peakRss / GiB).toFixed(2)} | **${(load.peakRss / weights).toFixed(2)}x** | ${((load.peakRss - load.baseRss) / weights).toFixed(2)}x |`,
      );
      for (const f of files) rmSync(f, { force: true });
    }
    if (gib <= 3 && ALL) {
      console.log(`${gib} GiB, into tfjs WASM variables (.keras):`);
      step("write", "keras", dir, String(layers));
      const engine = step("engine", "keras", dir, String(layers));
      rows.push(
        `| keras → tfjs WASM variables | ${(weights / GiB).toFixed(2)} | | | | ${(engine.ms / 1000).toFixed(2)} | | | ${(engine.peakRss / GiB).toFixed(2)} | **${(engine.peakRss / weights).toFixed(2)}x** | WASM heap ${(Number(engine.wasmHeap) / GiB).toFixed(2)} GiB${engine.ok ? "" : `, failed: ${String(engine.error)}`} |`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    `Synthetic Sequential of ${layers} Dense(8192) layers: ${(weights / GiB).toFixed(2)} GiB of float32 weights (${weights} bytes).`,
    "",
    "| format | file GiB | write s | write peak RSS GiB | inspect ms | load s | raw read s | load / raw | load peak RSS GiB | peak / weights | (peak - start) / weights |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
  ];
}

function statfsSafeSize(file: string): number {
  try {
    return Number(spawnSync("stat", ["-c", "%s", file], { encoding: "utf8" }).stdout.trim());
  } catch {
    return 0;
  }
}

export async function run(): Promise<void> {
  const sizes = (process.env.KERASTORE_LARGE_GIB ?? "3")
    .split(",")
    .filter((s) => s !== "")
    .map(Number);
  for (const gib of sizes) {
    const table = await runSize(gib);
    console.log(table.join("\n"));
    if (ALL) writeBenchSection(`large-${gib}gib`, table.join("\n"), `KERASTORE_LARGE_GIB=${gib} pnpm bench large`);
  }
  if (process.env.KERASTORE_LARGE_WASM_LIMIT === "1") {
    const limit = step("wasm-limit");
    const table = [
      `The tfjs WASM heap (wasm32) grew to ${(Number(limit.wasmHeap) / GiB).toFixed(2)} GiB; ${limit.tensors} float32 tensors of 256 MiB (${(Number(limit.heldBytes) / GiB).toFixed(2)} GiB by their sizes) were made and each read back correct.`,
      `Making the next one: ${String(limit.error)}.`,
      "Past the heap's end tfjs gives no error of its own: an allocation may hand out memory a live tensor holds (tensors silently share bytes) or abort the module.",
    ].join(" ");
    console.log(table);
    writeBenchSection("large-wasm-limit", table, "KERASTORE_LARGE_GIB= KERASTORE_LARGE_WASM_LIMIT=1 pnpm bench large");
  }
}
