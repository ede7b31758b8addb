// Runs the benchmarks named on the command line (all when none), each printing a ratio against a
// baseline measured in the same run, and rewrites their tables in docs/benchmarks.md.
// Benchmarks register themselves in BENCHMARKS as the features they measure land.
const BENCHMARKS: Record<string, () => Promise<void>> = {};

const wanted = process.argv.slice(2);
const names = wanted.length > 0 ? wanted : Object.keys(BENCHMARKS);
for (const name of names) {
  const bench = BENCHMARKS[name];
  if (bench === undefined) throw new Error(`unknown benchmark "${name}"; known: ${Object.keys(BENCHMARKS).join(", ")}`);
  await bench();
}
if (names.length === 0) console.log("no benchmarks registered yet");
