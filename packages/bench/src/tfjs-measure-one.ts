// One input of `pnpm bench tfjs`, measured in a process of its own (tfjs.bench.ts starts it):
//   tfjs-measure-one.ts <what> <source.h5> <output dir> <rounds>
// prints the trace lines (TFJS_BENCH_TRACE) and, last, the row as one line of JSON.
import { measure } from "./tfjs.bench.js";

const [what, source, out, rounds] = process.argv.slice(2);
if (what === undefined || source === undefined || out === undefined || rounds === undefined)
  throw new Error("usage: tfjs-measure-one.ts <what> <source.h5> <output dir> <rounds>");
const row = await measure(what, source, out, Number(rounds));
process.stdout.write(`${JSON.stringify(row)}\n`);
