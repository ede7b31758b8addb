import { type KernelBackend, type TensorInfo, composite } from "./composite.js";

/**
 * UnsortedSegmentSum (the gradient of gather: Embedding) as one WASM ScatterNd, which adds the
 * rows of repeated ids. Ids outside [0, numSegments) contribute nothing, as in TensorFlow: they
 * are sent to an extra row, dropped at the end (ScatterNd does not check its indices).
 */
export function unsortedSegmentSum({
  inputs,
  attrs,
  backend,
}: {
  inputs: { x: TensorInfo; segmentIds: TensorInfo };
  attrs: { numSegments: number };
  backend: KernelBackend;
}): TensorInfo {
  return composite(backend, inputs, (k) => {
    const { x, segmentIds } = inputs;
    const n = segmentIds.shape.reduce((a, d) => a * d, 1);
    const rest = x.shape.slice(segmentIds.shape.length);
    const rows = attrs.numSegments;
    let ids = k.reshape(segmentIds, [n]);
    if (ids.dtype !== "int32") ids = k.run("Cast", { x: ids }, { dtype: "int32" });
    const inRange = k.run("LogicalAnd", {
      a: k.run("GreaterEqual", { a: ids, b: k.scalar(0, "int32") }),
      b: k.run("Less", { a: ids, b: k.scalar(rows, "int32") }),
    });
    const safe = k.run("Select", {
      condition: inRange,
      t: ids,
      e: k.run("Fill", {}, { shape: [n], value: rows, dtype: "int32" }),
    });
    const out = k.run(
      "ScatterNd",
      { indices: k.reshape(safe, [n, 1]), updates: k.reshape(x, [n, ...rest]) },
      { shape: [rows + 1, ...rest] },
    );
    return k.slice(
      out,
      out.shape.map(() => 0),
      [rows, ...rest],
    );
  });
}
