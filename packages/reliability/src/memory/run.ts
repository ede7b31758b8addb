// Load/dispose cycles: `pnpm memory-cycles [--megabytes 50] [--cycles 500] [--write]`. Loads one
// model again and again in this process, disposing each, and checks memory stays flat (within
// 10% of its level after warm-up). With --write, puts the table into docs/reliability.md.
import { flags, table, writeSection } from "../report.js";
import { type CyclesReport, loadDisposeCycles } from "./cycles.js";

const f = flags(process.argv.slice(2));
const megabytes = Number(f.get("megabytes") ?? 50);
const cycles = Number(f.get("cycles") ?? 500);
const every = Math.max(1, Math.floor(cycles / 50));
const warmup = Math.min(cycles, Math.max(5, Math.floor(cycles / 10)));
const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
const pct = (peak: number, base: number) => `${(((peak - base) / base) * 100).toFixed(1)}%`;
function report(r: CyclesReport): string {
  const last = r.samples[r.samples.length - 1]!.cycle;
  const state = last < cycles ? ` Still running: ${last} of ${cycles} cycles so far.` : "";
  return [
    `Command: \`pnpm memory-cycles --megabytes ${megabytes} --cycles ${cycles}\` (a ${mb(r.fileBytes)} .keras file, ${Math.round(r.seconds)} s, ${new Date().toISOString().slice(0, 10)}).${state}`,
    "Each cycle: `loadModel`, one `predict`, `dispose`. Baseline: after cycle " +
      `${r.baseline.cycle}; peak: the largest sample after it.`,
    "",
    table(
      ["measure", "baseline", "peak", "growth"],
      [
        ["process RSS", mb(r.baseline.rss), mb(r.peakRss), pct(r.peakRss, r.baseline.rss)],
        ["WASM memory", mb(r.baseline.wasm), mb(r.peakWasm), pct(r.peakWasm, r.baseline.wasm)],
        ["backend tensors", r.baseline.tensors, r.peakTensors, r.peakTensors - r.baseline.tensors],
      ],
    ),
    "",
    `RSS by cycle: ${r.samples.map((s) => `${s.cycle}: ${Math.round(s.rss / 2 ** 20)}`).join(", ")} (MB).`,
  ].join("\n");
}
const r = await loadDisposeCycles({
  megabytes,
  cycles,
  every,
  warmup,
  onSample: (partial) => {
    const last = partial.samples[partial.samples.length - 1]!;
    console.log(
      `cycle ${last.cycle}: RSS ${mb(last.rss)}, WASM ${mb(last.wasm)}, ${last.tensors} tensors (${Math.round(partial.seconds)} s)`,
    );
    if (f.has("write")) void writeSection("memory", report(partial));
  },
});
const body = report(r);
console.log(body);
if (f.has("write")) await writeSection("memory", body);
const flat =
  r.peakRss <= r.baseline.rss * 1.1 && r.peakWasm <= r.baseline.wasm * 1.1 && r.peakTensors <= r.baseline.tensors;
process.exitCode = flat ? 0 : 1;
