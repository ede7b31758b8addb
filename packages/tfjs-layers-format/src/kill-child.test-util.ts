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
const location = { store, path: source };
const read = () => legacyH5Format.read(location, { safeMode: true, onWarning: () => {}, values: "lazy" });
for (let i = 0; ; i++) {
  const target = { store: new NodeStore(work), path: `web_${i}` };
  const from = { reader: legacyH5Format, location, read };
  if (!(await tfjsLayersFormat.convertFrom(target, from, { ...options, shardSizeBytes: 256 * 1024 })))
    throw new Error("declined");
}
