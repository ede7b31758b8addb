// Helpers the examples share (not an example itself: run-all.ts runs only NN-*.ts files).
import { ok } from "node:assert/strict";
import { type HostTensor, hostTensor, toFloat32 } from "@kerastore/core";

/** np.random.random, seeded: values in [0, 1) from a small linear congruential generator. */
export function random(shape: number[], seed: number): HostTensor {
  let s = seed;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  });
  return hostTensor("float32", shape, data);
}

/** np.testing.assert_allclose: equal sizes, every element within `rtol` (absolute below 1). */
export function assertAllClose(a: HostTensor, b: HostTensor, rtol = 1e-6): void {
  const x = toFloat32(a);
  const y = toFloat32(b);
  ok(x.length === y.length, "same size");
  for (let i = 0; i < x.length; i++)
    ok(Math.abs(x[i]! - y[i]!) <= rtol * Math.max(1, Math.abs(y[i]!)), `element ${i}: ${x[i]} vs ${y[i]}`);
}
