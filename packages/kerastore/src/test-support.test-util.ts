import { type HostTensor, type NumericHostTensor, toFloat32 } from "@kerastore/core";
import { expect } from "vitest";

/** Asserts two tensors have the same shape and values within `rtol` relative (plus a tiny absolute floor). */
export function expectClose(actual: HostTensor, expected: NumericHostTensor, rtol: number, what = "tensor"): void {
  expect(actual.shape, `${what} shape`).toEqual(expected.shape);
  const a = toFloat32(actual);
  const e = toFloat32(expected);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i]! - e[i]!) / Math.max(Math.abs(e[i]!), 1e-3);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  expect(worst, `${what}: worst relative error at ${at} (${a[at]} vs ${e[at]})`).toBeLessThanOrEqual(rtol);
}
