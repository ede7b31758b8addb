import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Metafile, build } from "esbuild";

/** This package's folder. */
export const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** The folder of the `.wasm` files of the installed `@tensorflow/tfjs-backend-wasm`. */
export function wasmDir(): string {
  // Resolved from kerastore's engine, whose dependency it is.
  const require = createRequire(createRequire(join(packageDir, "package.json")).resolve("@kerastore/engine"));
  return dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
}

/** Copies the three `tfjs-backend-wasm*.wasm` files into `dir`. */
export function copyWasm(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const from = wasmDir();
  const files = readdirSync(from).filter((f) => f.endsWith(".wasm"));
  for (const f of files) copyFileSync(join(from, f), join(dir, f));
  return files;
}

/**
 * Bundles an entry for browsers with esbuild (ES modules, code splitting, minified), exactly as
 * a user's build would: the `browser` platform, so only `kerastore`'s default entries resolve.
 */
export async function bundleForBrowser(entry: string, outdir: string): Promise<Metafile> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    splitting: true,
    minify: true,
    outdir,
    metafile: true,
    logLevel: "silent",
    absWorkingDir: packageDir,
  });
  if (result.errors.length > 0) throw new Error(result.errors.map((e) => e.text).join("\n"));
  return result.metafile;
}

/** Builds the test page (page/harness.ts) into `outdir`, with its index.html and the .wasm files. */
export async function buildTestPage(outdir: string): Promise<void> {
  await bundleForBrowser(join(packageDir, "page/harness.ts"), outdir);
  writeFileSync(
    join(outdir, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><title>kerastore test page</title><link rel="icon" href="data:,"></head>
<body><input id="picker" type="file"><input id="folder" type="file" webkitdirectory><script type="module" src="./harness.js"></script></body></html>\n`,
  );
  copyWasm(join(outdir, "wasm"));
}
