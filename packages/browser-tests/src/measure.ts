// Prints the min+gzip JavaScript (no .wasm) a page downloads for one job, with kerastore and with
// @tensorflow/tfjs, both bundled by esbuild for browsers: `pnpm --filter @kerastore/browser-tests size`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleForBrowser, packageDir } from "./build.js";
import { type BundleSize, bundleSize, kib } from "./bundle-size.js";

/** Bundles one job entry and measures it. */
export async function measure(entry: string, lazy: RegExp): Promise<BundleSize> {
  const out = mkdtempSync(join(tmpdir(), "kerastore-size-"));
  try {
    const meta = await bundleForBrowser(join(packageDir, entry), out);
    return bundleSize(meta, out, packageDir, lazy);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // The dynamic import the job takes: the WASM backend (not h5wasm, the CPU backend, gradients).
  const ours = await measure("bundle/job.ts", /tfjs-backend-wasm/);
  const theirs = await measure("bundle/tfjs-job.ts", /$^/);
  console.log(`kerastore (load .keras by URL, predict): ${kib(ours.initial.gzip)} min+gzip, ${kib(ours.initial.min)} min; lazy chunks (h5wasm fallback, CPU backend, gradients) ${kib(ours.lazy.gzip)}`);
  console.log(`@tensorflow/tfjs (loadLayersModel, predict): ${kib(theirs.initial.gzip)} min+gzip, ${kib(theirs.initial.min)} min`);
  console.log(`ratio kerastore / tfjs: ${(ours.initial.gzip / theirs.initial.gzip).toFixed(2)}`);
}
