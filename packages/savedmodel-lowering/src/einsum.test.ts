import { utf8Encode } from "@kerastore/core";
import { initBackend, tf } from "@kerastore/engine";
import { nodeAttrs } from "@kerastore/savedmodel";
import { beforeAll, describe, expect, it } from "vitest";
import { tfjsKernels } from "./tfjs-kernels.js";

type Attrs = Parameters<typeof nodeAttrs>[0];

/** Runs the Einsum kernel the way the graph runner does. */
function einsum(equation: string, ...operands: tf.Tensor[]): tf.Tensor {
  const attrs = nodeAttrs(
    { equation: { value: { case: "s", value: utf8Encode(equation) } } } as unknown as Attrs,
    "node e",
  );
  const out = tfjsKernels["Einsum"]!(operands, attrs, { node: "e", op: "Einsum", functionName: "f" });
  return (out as readonly tf.Tensor[])[0]!;
}

/** A reference einsum by explicit loops over every label. */
function reference(
  equation: string,
  operands: { shape: number[]; data: Float32Array }[],
): { shape: number[]; data: number[] } {
  const [lhs, out] = equation.split("->") as [string, string];
  const terms = lhs.split(",");
  const size = new Map<string, number>();
  for (const [i, t] of terms.entries()) for (const [k, l] of [...t].entries()) size.set(l, operands[i]!.shape[k]!);
  const labels = [...size.keys()];
  const shape = [...out].map((l) => size.get(l)!);
  const data = new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0);
  const index = new Map<string, number>(labels.map((l) => [l, 0]));
  const flat = (term: string, dims: number[]) => [...term].reduce((acc, l, k) => acc * dims[k]! + index.get(l)!, 0);
  const total = labels.reduce((n, l) => n * size.get(l)!, 1);
  for (let step = 0; step < total; step++) {
    let rest = step;
    for (const l of [...labels].reverse()) {
      index.set(l, rest % size.get(l)!);
      rest = Math.floor(rest / size.get(l)!);
    }
    const product = terms.reduce((p, t, i) => p * operands[i]!.data[flat(t, operands[i]!.shape)]!, 1);
    data[flat(out, shape)]! += product;
  }
  return { shape, data };
}

describe("the Einsum kernel (WASM has none; built from transpose, sum and matMul)", () => {
  beforeAll(async () => {
    await initBackend();
  });

  it.each([
    ["abc,cde->abde", [2, 3, 4], [4, 2, 3]],
    ["aecd,abcd->acbe", [2, 5, 3, 4], [2, 6, 3, 4]],
    ["acbe,aecd->abcd", [2, 3, 6, 5], [2, 5, 3, 4]],
    ["abcd,cde->abe", [2, 3, 4, 5], [4, 5, 6]],
    ["ij,jk->ki", [3, 4], [4, 2]],
    ["ijk,k->i", [2, 3, 4], [4]],
    ["abc->cba", [2, 3, 4], null],
    ["abc->ac", [2, 3, 4], null],
  ] as const)("%s equals explicit loops", (equation, shapeA, shapeB) => {
    let seed = 3;
    const fill = (shape: readonly number[]) => {
      const n = shape.reduce((a, b) => a * b, 1);
      return {
        shape: [...shape],
        data: Float32Array.from({ length: n }, () => {
          seed = (seed * 16807) % 2147483647;
          return Math.round((seed / 2147483647) * 8 - 4) / 4;
        }),
      };
    };
    const operands = shapeB === null ? [fill(shapeA)] : [fill(shapeA), fill(shapeB)];
    const expected = reference(equation, operands);
    const got = tf.tidy(() => {
      const t = einsum(equation, ...operands.map((o) => tf.tensor(o.data, o.shape)));
      return { shape: t.shape, data: Array.from(t.dataSync()) };
    });
    expect(got.shape).toEqual(expected.shape);
    for (const [i, v] of got.data.entries()) expect(v).toBeCloseTo(expected.data[i]!, 4);
  });

  it("refuses ellipses and repeated labels with a typed error", () => {
    const t = tf.zeros([2, 2]);
    expect(() => einsum("...i,i->...", t, tf.zeros([2]))).toThrow(
      /einsum "\.\.\.i,i->\.\.\.": only explicit equations/,
    );
    expect(() => einsum("ii->i", t)).toThrow(/a label repeats within an operand/);
    t.dispose();
  });
});
