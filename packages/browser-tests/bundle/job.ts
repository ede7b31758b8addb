// The job both bundlers build and the size check measures: load a .keras file by URL in the
// page and predict, through `kerastore`'s default entry and nothing else of ours.
import { readNpy, toFloat32 } from "@kerastore/core";
import { keras } from "kerastore";

async function run(): Promise<void> {
  const params = new URLSearchParams(location.search);
  await keras.ready({ wasmPaths: params.get("wasm") ?? "/wasm/" });
  const model = await keras.models.loadModel(params.get("model") ?? "model.keras");
  const input = readNpy(new Uint8Array(await (await fetch(params.get("input") ?? "input0.npy")).arrayBuffer()));
  const output = model.predict(input);
  const y = Array.isArray(output) ? output[0]! : output;
  document.body.dataset.result = JSON.stringify({ shape: y.shape, data: Array.from(toFloat32(y)) });
}

run().catch((error: unknown) => {
  document.body.dataset.error = error instanceof Error ? error.message : String(error);
});
