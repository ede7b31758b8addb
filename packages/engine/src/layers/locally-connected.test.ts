import { describe, expect, it } from "vitest";
import { deserializeLayer } from "../index.js";
import { localGeometry } from "./locally-connected-geometry.js";

describe("LocallyConnected1D / 2D", () => {
  it("refuse what Kerastore does not compute, naming the layer and the key", () => {
    const config = (extra: object) => ({
      class_name: "LocallyConnected2D",
      config: { name: "lc", filters: 2, kernel_size: [2, 2], implementation: 2, ...extra },
    });
    expect(() => deserializeLayer(config({ padding: "same" }))).toThrow(
      /cannot make LocallyConnected2D layer "lc": padding "same" is not supported by Kerastore yet \(only "valid", Keras 2's default\)/,
    );
    expect(() => deserializeLayer(config({ implementation: 4 }))).toThrow(
      /cannot make LocallyConnected2D layer "lc": implementation must be 1, 2 or 3, got 4/,
    );
  });

  it("slice patches as Keras 2's local_conv: offsets then channel, or channel then offsets", () => {
    // 1-D, 4 steps of 2 channels, kernel 2, stride 2: positions 0 and 1.
    expect(Array.from(localGeometry([4], 2, [2], [2], 1, false).patchIndex())).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Channels first, the input is [channels, steps]: index c * 4 + t.
    expect(Array.from(localGeometry([4], 2, [2], [2], 1, true).patchIndex())).toEqual([0, 1, 4, 5, 2, 3, 6, 7]);
  });
});
