// Prints the min+gzip JavaScript (no .wasm) a page downloads for one job, with kerastore and with
// @tensorflow/tfjs, both bundled by esbuild for browsers, and rewrites its section of
// docs/benchmarks.md: `pnpm --filter @kerastore/browser-tests size`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
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

/** Replaces the `<!-- bench:NAME -->` section of docs/benchmarks.md (the bench package's convention). */
function writeSection(name: string, markdown: string): void {
  const docs = resolve(packageDir, "../../docs/benchmarks.md");
  const [start, end] = [`<!-- bench:${name} -->`, `<!-- /bench:${name} -->`];
  const stamp = `_Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, Node ${process.version}, with \`pnpm --filter @kerastore/browser-tests size\`._`;
  const block = `${start}\n${markdown.trim()}\n\n${stamp}\n${end}`;
  const text = readFileSync(docs, "utf8");
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  writeFileSync(
    docs,
    i >= 0 && j > i ? text.slice(0, i) + block + text.slice(j + end.length) : `${text.trimEnd()}\n\n${block}\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // The dynamic import the job takes: the WASM backend (not h5wasm, the CPU backend, gradients).
  const ours = await measure("src/bundle/job.ts", /tfjs-backend-wasm/);
  const theirs = await measure("src/bundle/tfjs-job.ts", /$^/);
  const ratio = (ours.initial.gzip / theirs.initial.gzip).toFixed(2);
  console.log(
    `kerastore: ${kib(ours.initial.gzip)} min+gzip; @tensorflow/tfjs: ${kib(theirs.initial.gzip)}; ratio ${ratio}`,
  );
  writeSection(
    "bundle",
    `Browser bundle for one job, "load a Keras model by URL and predict on the WASM backend": the JavaScript a page downloads (esbuild \`--bundle --platform=browser --minify --splitting\`, gzip -9), \`.wasm\` excluded (the backend's binary is ~420 KB, the same for both). Baseline: \`@tensorflow/tfjs\` 4.22 with \`@tensorflow/tfjs-backend-wasm\` doing \`tf.loadLayersModel\` + \`predict\` (it reads only its own model.json format, so a Keras file needs converting first). The browser test (\`packages/browser-tests/test/bundle.test.ts\`) checks the same number against what Chromium actually fetched, under a 330 KiB budget.

| bundle | min+gzip | min | ratio to tfjs |
| --- | ---: | ---: | ---: |
| \`import { keras } from "kerastore"\`: loadModel(url) + predict | ${kib(ours.initial.gzip)} | ${kib(ours.initial.min)} | **${ratio}** |
| \`@tensorflow/tfjs\` + wasm backend: loadLayersModel(url) + predict | ${kib(theirs.initial.gzip)} | ${kib(theirs.initial.min)} | 1.00 |
| kerastore chunks fetched only when needed (h5wasm HDF5 fallback, CPU backend, training gradients, TFLite, SavedModel lowering) | ${kib(ours.lazy.gzip)} | ${kib(ours.lazy.min)} | |`,
  );
}
