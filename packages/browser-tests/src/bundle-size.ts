import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";
import type { Metafile } from "esbuild";

/** Sizes of a bundle's JavaScript, in bytes: minified, and minified + gzipped (level 9). */
export interface JsSize {
  readonly min: number;
  readonly gzip: number;
  readonly files: readonly string[];
}

/** What a page downloads to run the job, and the chunks it fetches only when needed. */
export interface BundleSize {
  /** The chunks the job loads. */
  readonly initial: JsSize;
  /** The other chunks (h5wasm's HDF5 fallback, the CPU backend, training's gradients). */
  readonly lazy: JsSize;
}

function sizeOf(dir: string, files: readonly string[]): JsSize {
  let min = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dir, f));
    min += bytes.byteLength;
    gzip += gzipSync(bytes, { level: 9 }).byteLength;
  }
  return { min, gzip, files };
}

/**
 * Splits an esbuild metafile's JavaScript outputs (never `.wasm`) into what the job loads and
 * the rest: `loaded` names the chunks a page fetched (as the test server saw it); without it,
 * the entry and what it imports statically, plus the dynamic imports whose inputs match `take`.
 */
export function bundleSize(
  meta: Metafile,
  outdir: string,
  cwd: string,
  loaded: ReadonlySet<string> | RegExp,
): BundleSize {
  const rel = (p: string) => relative(outdir, join(cwd, p));
  const outputs = Object.entries(meta.outputs).filter(([path]) => path.endsWith(".js"));
  const reached = new Set<string>();
  if (loaded instanceof RegExp) {
    const entry = outputs.find(([, o]) => o.entryPoint !== undefined)?.[0];
    if (entry === undefined) throw new Error("the metafile has no entry chunk");
    const visit = (path: string) => {
      if (reached.has(path)) return;
      reached.add(path);
      for (const imp of meta.outputs[path]?.imports ?? []) {
        if (imp.external) continue;
        const taken =
          imp.kind !== "dynamic-import" ||
          Object.keys(meta.outputs[imp.path]?.inputs ?? {}).some((i) => loaded.test(i));
        if (taken) visit(imp.path);
      }
    };
    visit(entry);
  } else {
    for (const [p] of outputs) if (loaded.has(rel(p))) reached.add(p);
  }
  const initial = [...reached].map(rel);
  const lazy = outputs
    .map(([p]) => p)
    .filter((p) => !reached.has(p))
    .map(rel);
  return { initial: sizeOf(outdir, initial), lazy: sizeOf(outdir, lazy) };
}

/** Kibibytes with one decimal. */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
