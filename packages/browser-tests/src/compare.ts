import { type NumericHostTensor, toFloat32 } from "@kerastore/core";

/** A tensor as the page returns it. */
export interface Plain {
  readonly shape: number[];
  readonly data: number[];
}

/**
 * The worst relative error of `actual` against `expected` (with a 1e-3 floor under tiny values),
 * or a description of the shape mismatch: what the Node real-world test checks, for a page's output.
 */
export function worstError(actual: Plain, expected: NumericHostTensor): { worst: number; at: number; shape?: string } {
  if (actual.shape.join(",") !== expected.shape.join(",")) {
    return { worst: Number.POSITIVE_INFINITY, at: -1, shape: `${actual.shape} vs ${expected.shape}` };
  }
  const e = toFloat32(expected);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < e.length; i++) {
    const a = actual.data[i]!;
    const err = Math.abs(a - e[i]!) / Math.max(Math.abs(e[i]!), 1e-3);
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  return { worst, at };
}
