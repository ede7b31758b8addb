import * as tf from "@tensorflow/tfjs-core";
import { type SavedNode, isKerastoreError } from "@kerastore/core";
import { beforeAll, describe, expect, it } from "vitest";
import {
  Dense,
  Input,
  type Model,
  Sequential,
  clearSession,
  fromSavedModelData,
  initBackend,
  matchWeights,
  toCheckpointTree,
  toSavedModelData,
} from "./index.js";

beforeAll(async () => {
  await initBackend();
});

function mlp(names: [string, string] = ["a", "b"]): Sequential {
  return new Sequential({
    layers: [
      Input({ shape: [5] }),
      new Dense({ units: 4, activation: "relu", name: names[0] }),
      new Dense({ units: 2, name: names[1] }),
    ],
  });
}

function out(model: Model, x: tf.Tensor): number[] {
  return Array.from((model.apply(x) as tf.Tensor).dataSync());
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("matchWeights, the one weight matcher", () => {
  it("pairs by each built-in layout and gives the source's predictions", () => {
    clearSession();
    const source = mlp();
    const tree = toSavedModelData(source).root;
    const x = tf.randomNormal([3, 5]);
    const cases: [string, SavedNode, object][] = [
      ["layer-list", tree, {}],
      ["layer-list", tree, { byName: true }],
      ["walk-path", tree, {}],
      ["object-graph", toCheckpointTree(tree), {}],
    ];
    for (const [layout, saved, options] of cases) {
      const target = mlp();
      expect(matchWeights(target, saved, layout, options), layout).toBe(4);
      expect(out(target, x), layout).toEqual(out(source, x));
    }
  });

  it("pairs a Keras 3 tree by walk path in fromSavedModelData, as loadModel does, not by layer name", () => {
    clearSession();
    const source = mlp(["first", "second"]);
    const data = toSavedModelData(source);
    // Walk paths come from class names (layers/dense, layers/dense_1), so renamed layers still pair.
    const renamed = mlp(["x", "y"]);
    expect(matchWeights(renamed, data.root, "walk-path")).toBe(4);
    const back = fromSavedModelData(data);
    const x = tf.randomNormal([2, 5]);
    expect(out(back, x)).toEqual(out(source, x));
    expect(out(renamed, x)).toEqual(out(source, x));
  });

  it("skips mismatches only when asked, telling onWarning", () => {
    clearSession();
    const tree = toSavedModelData(mlp()).root;
    const wide = new Sequential({
      layers: [Input({ shape: [5] }), new Dense({ units: 4, name: "a" }), new Dense({ units: 3, name: "b" })],
    });
    const error = thrown(() => matchWeights(wide, tree, "walk-path", { where: "m.weights.h5" }));
    expect(isKerastoreError(error, "weight-mismatch")).toBe(true);
    expect((error as Error).message).toMatch(/m\.weights\.h5.*\(2,\).*|m\.weights\.h5.*\(4, 2\)/);
    const warnings: string[] = [];
    expect(matchWeights(wide, tree, "walk-path", { skipMismatch: true, onWarning: (m) => warnings.push(m) })).toBe(2);
    expect(warnings).toHaveLength(2);
  });

  it("refuses options a layout cannot honour and layouts it does not know", () => {
    const tree = toSavedModelData(mlp()).root;
    expect(
      isKerastoreError(
        thrown(() => matchWeights(mlp(), tree, "walk-path", { byName: true })),
        "invalid-argument",
      ),
    ).toBe(true);
    expect(
      isKerastoreError(
        thrown(() => matchWeights(mlp(), tree, "layer-list", { skipMismatch: true })),
        "invalid-argument",
      ),
    ).toBe(true);
    const unknown = thrown(() => matchWeights(mlp(), tree, "tfjs-manifest"));
    expect(isKerastoreError(unknown, "unsupported")).toBe(true);
    expect((unknown as Error).message).toMatch(/no weight layout "tfjs-manifest"/);
  });
});
