// Runs the benchmarks named on the command line (all when none): every `src/*.bench.ts` module
// exports `run(): Promise<void>`, prints a ratio against a baseline measured in the same run, and
// rewrites its own section of docs/benchmarks.md through `writeBenchSection`.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const known = readdirSync(here)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.slice(0, -".bench.ts".length))
  .sort();
const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!known.includes(name)) throw new Error(`unknown benchmark "${name}"; known: ${known.join(", ")}`);
}
for (const name of wanted.length > 0 ? wanted : known) {
  const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as { run: () => Promise<void> };
  console.log(`\n## ${name}`);
  await mod.run();
}
if (known.length === 0) console.log("no benchmarks yet");
