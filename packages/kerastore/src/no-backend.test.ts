import { describe, expect, it } from "vitest";
import { keras } from "./node.js";

// Its own file: no backend may be set up before this test (vitest runs each file in its own fork).
describe("building a model before keras.ready()", () => {
  it("says to await keras.ready() first, instead of tfjs's 'No backend found in registry'", async () => {
    expect(
      () =>
        new keras.Sequential({
          layers: [keras.Input({ shape: [4] }), new keras.layers.Dense({ units: 1, name: "d" })],
        }),
    ).toThrow('cannot create weight "kernel" of layer "d": no tensor backend is set up yet; await keras.ready()');
    // Keras's own spelling, a list of layers, is the same model (it was an empty one).
    expect(() => new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense({ units: 1 })])).toThrow(
      /no tensor backend is set up yet; await keras.ready\(\)/,
    );
    // Data given to predict before ready: the same advice, not tfjs's registry error.
    const empty = new keras.Sequential();
    expect(() => empty.predict({ dtype: "float32", shape: [1, 4], data: new Float32Array(4) })).toThrow(
      /cannot create a tensor from the data given to the model: no tensor backend is set up yet/,
    );
    await keras.ready();
    expect(
      new keras.Sequential([keras.Input({ shape: [4] }), new keras.layers.Dense({ units: 1 })]).countParams(),
    ).toBe(5);
    expect(
      new keras.Sequential({
        layers: [keras.Input({ shape: [4] }), new keras.layers.Dense({ units: 1 })],
      }).countParams(),
    ).toBe(5);
  });
});
