// Runs every example of this folder in turn (each asserts what the guide shows) and exits
// non-zero on the first one that fails. `pnpm examples` calls it; CI runs it.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const files = readdirSync(here)
  .filter((f) => /^\d\d-.*\.ts$/.test(f))
  .sort();
for (const file of files) {
  const started = performance.now();
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { main?: () => Promise<void> | void };
  if (typeof mod.main !== "function") throw new Error(`${file} exports no main()`);
  await mod.main();
  console.log(`ok ${file} (${Math.round(performance.now() - started)} ms)`);
}
console.log(`${files.length} examples ran`);
