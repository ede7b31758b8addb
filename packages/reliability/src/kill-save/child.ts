// One kill trial's victim: saves two models over the same target, alternately and forever, until
// the parent kills it (SIGKILL) at a random moment. Prints "ready" before the first save.
//
// Usage: node --import tsx child.ts <format> <target path> (kerastore from its built dist: starts in ~1 s)
import { keras } from "kerastore";
import { type KillFormat, saveAs, trialModel } from "./trial-model.js";

const [format, path] = process.argv.slice(2) as [KillFormat, string];
await keras.ready();
const models = [trialModel(1), trialModel(0)];
process.stdout.write("ready\n");
for (let i = 0; ; i++) await saveAs(models[i % 2]!, format, path);
