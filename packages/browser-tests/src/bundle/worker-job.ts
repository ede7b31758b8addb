// The same job in a module Web Worker: no DOM, `fetch` and `location` only.
import { readNpy, toFloat32 } from "@kerastore/core";
import { keras } from "kerastore";

const scope = globalThis as unknown as { postMessage(message: unknown): void; location: { search: string } };

async function run(): Promise<unknown> {
  const params = new URLSearchParams(scope.location.search);
  await keras.ready({ wasmPaths: "/wasm/" });
  const model = await keras.models.loadModel(params.get("model")!);
  const input = readNpy(new Uint8Array(await (await fetch(params.get("input")!)).arrayBuffer()));
  const output = model.predict(input);
  const y = Array.isArray(output) ? output[0]! : output;
  return { shape: y.shape, data: Array.from(toFloat32(y)) };
}

run().then(
  (result) => scope.postMessage({ result }),
  (error: unknown) => scope.postMessage({ error: error instanceof Error ? error.message : String(error) }),
);
