import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const docs = resolve(dirname(fileURLToPath(import.meta.url)), "../../../docs/benchmarks.md");

/**
 * Replaces (or appends) the section of docs/benchmarks.md between
 * `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` with `markdown`, stamped with the date,
 * the machine and the command that produced it.
 */
export function writeBenchSection(name: string, markdown: string, command = `pnpm bench ${name}`): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const stamp = `_Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, with \`${command}\`._`;
  const block = `${start}\n${markdown.trim()}\n\n${stamp}\n${end}`;
  const text = readFileSync(docs, "utf8");
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next =
    i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(docs, next);
}

/** Median of several timings of `fn`, in milliseconds. */
export async function medianMs(fn: () => Promise<unknown> | unknown, runs = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Where benchmarks may write scratch files. */
export function scratchDir(): string {
  return join(resolve(dirname(fileURLToPath(import.meta.url)), ".."), ".scratch");
}
