// The victim of kill-convert.test.ts: converts one tf.keras 2 .h5 file to file into new
// directories web_0, web_1, ... of `work`, forever, until the test kills it (SIGKILL).
// Prints "ready" once its modules are loaded. Usage: node --import tsx --conditions=source
// kill-child.test-util.ts <store dir> <source .h5 name> <work dir>
import { NodeStore } from "@kerastore/core/node";
import { legacyH5Format } from "kerastore";
import { tfjsLayersFormat } from "./node.js";

const [root, source, work] = process.argv.slice(2) as [string, string, string];
const store = new NodeStore(root);
const options = { includeOptimizer: false, weightsOnly: false, liveModel: undefined, onWarning: () => {} };
process.stdout.write("ready\n");
for (let i = 0; ; i++) {
  const read = await legacyH5Format.read(
    { store, path: source },
    { safeMode: true, onWarning: () => {}, values: "lazy" },
  );
  const target = { store: new NodeStore(work), path: `web_${i}` };
  if (!(await tfjsLayersFormat.convertFrom(target, read, { ...options, shardSizeBytes: 256 * 1024 })))
    throw new Error("declined");
}
