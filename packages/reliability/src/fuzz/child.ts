// Fuzz inputs, one after another, in one process: reads one JSON request a line on stdin,
// {"id", "action": "model" | "weights" | "graph" | "npy", "path", "architecture"?}, loads the file
// the way its format is used and answers with two lines: {"loading": true, "id", "rssBefore"} when
// it starts, then {"id", "outcome": "ok" | "typed" | "generic", "error"?, "rssBefore", "maxRss",
// "maxRssBefore", "tensorsLeft"}. A crash, a hang or an over-allocation is what the parent sees
// when no answer comes; it then starts a new child for the next input.
//
// Usage: node child.ts   (requests on stdin)
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { KerastoreError, readNpy } from "@kerastore/core";
import { keras } from "kerastore";

interface Request {
  readonly id: number;
  readonly action: string;
  readonly path: string;
  readonly architecture?: string | undefined;
}

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
  const out = model.predict((inputs.length === 1 ? inputs[0] : inputs) as never) as unknown;
  for (const t of Array.isArray(out) ? out : [out]) (t as { dispose?: () => void })?.dispose?.();
}

/**
 * The harness's own probes (never a fuzz input): each acts out one failure the parent must
 * classify, so the runner's test can show a hang, a crash, an over-allocation, a late rejection
 * and a leaked tensor are each seen, and that the next input still gets a working child.
 */
async function probe(what: string, size: string): Promise<void> {
  if (what === "hang") for (;;);
  if (what === "crash") process.abort();
  if (what === "allocate") {
    // `path` is the byte count. Touch every page, so the bytes are resident, and hold them while the parent watches.
    const held = Buffer.alloc(Number(size), 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    held.fill(2);
  }
  if (what === "reject") void Promise.reject(new Error("a rejection nobody awaited"));
  if (what === "leak") keras.tf.zeros([4]);
  if (what === "generic") throw new TypeError("a plain error");
}

async function load({ action, path, architecture }: Request): Promise<void> {
  if (action.startsWith("probe:")) await probe(action.slice("probe:".length), path);
  else if (action === "npy") readNpy(new Uint8Array(await readFile(path)), path);
  else if (action === "graph") (await keras.savedModel.load(path)).dispose();
  else if (action === "weights") {
    const model = keras.models.modelFromJson(await readFile(architecture!, "utf8"));
    try {
      await model.loadWeights(path);
    } finally {
      model.dispose();
    }
  } else {
    const model = await keras.models.loadModel(path);
    try {
      predictOnce(model as never);
    } finally {
      model.dispose();
    }
  }
}

const say = (line: object): boolean => process.stdout.write(`${JSON.stringify(line)}\n`);
const maxRssNow = (): number => process.resourceUsage().maxRSS * 1024;

async function serve(request: Request): Promise<void> {
  const tensorsBefore = keras.tf.memory().numTensors;
  const maxRssBefore = maxRssNow();
  const rssBefore = process.memoryUsage().rss;
  // The parent times the load from here: starting node and the backend is not the input's doing.
  say({ loading: true, id: request.id, rssBefore });
  let outcome = "ok";
  let error: string | undefined;
  try {
    await load(request);
  } catch (e) {
    // Typed: one of Kerastore's error classes (a closed code, the place, the reason).
    outcome = e instanceof KerastoreError ? "typed" : "generic";
    error = `${(e as Error)?.name ?? typeof e}: ${String((e as Error)?.message ?? e).slice(0, 300)}`;
    if (e instanceof Error && e.message.startsWith("input too large to try")) outcome = "ok";
  }
  // A rejection the load left behind surfaces here, as this input's crash, not the next one's.
  await new Promise((resolve) => setImmediate(resolve));
  const tensorsLeft = keras.tf.memory().numTensors - tensorsBefore;
  say({ id: request.id, outcome, error, rssBefore, maxRss: maxRssNow(), maxRssBefore, tensorsLeft });
}

process.on("unhandledRejection", (reason) => {
  process.stderr.write(`unhandled rejection: ${String((reason as Error)?.stack ?? reason).slice(0, 600)}\n`);
  process.exit(70);
});
await keras.ready();
say({ ready: true });
// One request at a time: the next line is read only after this input's answer is out.
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== "") await serve(JSON.parse(line) as Request);
}
