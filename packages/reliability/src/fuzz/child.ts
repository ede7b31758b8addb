// One fuzz input, in its own process: loads it the way its format is used and prints one JSON
// line, {"outcome": "ok" | "typed" | "generic", "error"?, "rssBefore", "maxRss"}. A crash, a hang
// or an over-allocation is what the parent sees when no line comes.
//
// Usage: node --import tsx child.ts <model|weights|graph|npy> <path> [architecture JSON path]
import { readFile } from "node:fs/promises";
import { KerastoreError, readNpy } from "@kerastore/core";
import { keras } from "kerastore";

const [action, path, architecture] = process.argv.slice(2) as [string, string, string | undefined];

/** Predicts once on zeros shaped like the model's input, so configs that load but cannot run show. */
function predictOnce(model: {
  inputs: readonly { shape: readonly (number | null)[] }[];
  predict(x: never): unknown;
}): void {
  const inputs = model.inputs.map((t) => {
    // One row: a config declaring a batch of 65536 asks for that much work, not a hang.
    const shape = t.shape.map((d, i) => (d === null || i === 0 ? 1 : d));
    const size = shape.reduce((a, b) => a * b, 1);
    if (!(size <= 1 << 20)) throw new Error(`input too large to try: ${JSON.stringify(shape)}`);
    return { dtype: "float32", shape, data: new Float32Array(size) };
  });
  if (inputs.length === 0) return;
  model.predict((inputs.length === 1 ? inputs[0] : inputs) as never);
}

async function run(): Promise<void> {
  await keras.ready();
  const rssBefore = process.memoryUsage().rss;
  // The parent times the load from here: starting node and the backend is not the input's doing.
  process.stdout.write(`${JSON.stringify({ loading: true, rssBefore })}\n`);
  let outcome = "ok";
  let error: string | undefined;
  try {
    if (action === "npy") readNpy(new Uint8Array(await readFile(path)), path);
    else if (action === "graph") (await keras.savedModel.load(path)).dispose();
    else if (action === "weights") {
      const model = keras.models.modelFromJson(await readFile(architecture!, "utf8"));
      await model.loadWeights(path);
      model.dispose();
    } else {
      const model = await keras.models.loadModel(path);
      try {
        predictOnce(model as never);
      } finally {
        model.dispose();
      }
    }
  } catch (e) {
    // Typed: one of Kerastore's error classes (a closed code, the place, the reason).
    const typed = e instanceof KerastoreError;
    outcome = typed ? "typed" : "generic";
    error = `${(e as Error)?.name ?? typeof e}: ${String((e as Error)?.message ?? e).slice(0, 300)}`;
    if (e instanceof Error && e.message.startsWith("input too large to try")) outcome = "ok";
  }
  const maxRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(`${JSON.stringify({ outcome, error, rssBefore, maxRss })}\n`);
}

await run();
