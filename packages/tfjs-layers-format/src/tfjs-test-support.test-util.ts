import { expectAllClose } from "@kerastore/fixtures/expect-all-close";
// Test helpers: the real tfjs-layers 4.22 (through @tensorflow/tfjs, which also registers the
// chained tensor ops its initializers call) loading what a Store holds, as a browser would
// fetch it: tf.io.http with a fetch that reads the store.
import * as tf from "@tensorflow/tfjs";
import { type HostTensor, MemoryStore, type Store, hostTensor, joinPath, toFloat32 } from "@kerastore/core";

export { tf };

/** Loads `dir/model.json` and its shards from `store` with `tf.loadLayersModel`. */
export async function loadInTfjs(store: Store, dir: string): Promise<tf.LayersModel> {
  const fetchFunc = async (input: string | URL | Request): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const path = url.replace(/^store:\/\//, "");
    const bytes = await store.read(path);
    return new Response(bytes.slice().buffer, {
      status: 200,
      headers: { "content-type": path.endsWith(".json") ? "application/json" : "application/octet-stream" },
    });
  };
  return tf.loadLayersModel(tf.io.http(`store://${joinPath(dir, "model.json")}`, { fetchFunc }));
}

/** Runs a tfjs model on host inputs, giving host outputs. */
export function predictInTfjs(model: tf.LayersModel, inputs: readonly HostTensor[]): HostTensor[] {
  const xs = inputs.map((x) =>
    tf.tensor(Array.from(toFloat32(x)), [...x.shape], x.dtype === "int32" || x.dtype === "int64" ? "int32" : "float32"),
  );
  const out = model.predict(xs.length === 1 ? xs[0]! : xs);
  const list = Array.isArray(out) ? out : [out as tf.Tensor];
  const host = list.map((t) => hostTensor("float32", t.shape, Float32Array.from(t.dataSync())));
  tf.dispose([...xs, ...list]);
  return host;
}

/** The suites' one expectAllClose, at this package's default tolerance (1e-5 relative and absolute). */
export function expectOutputsClose(
  actual: HostTensor,
  expected: HostTensor,
  tol: { rtol?: number; atol?: number } = {},
  what = "output",
): void {
  expectAllClose(actual, expected, { rtol: tol.rtol ?? 1e-5, atol: tol.atol ?? 1e-5, label: what });
}

/** A fresh in-memory store. */
export function memoryStore(): MemoryStore {
  return new MemoryStore();
}
