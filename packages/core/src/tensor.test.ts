import { describe, expect, it } from "vitest";
import {
  CoreError,
  hostTensor,
  savedNode,
  stringTensor,
  stringValues,
  toFloat32,
  viewAs,
  walkSavedTree,
} from "./index.js";

describe("HostTensor", () => {
  it("checks the element count against the shape", () => {
    expect(() => hostTensor("float32", [2, 2], new Float32Array(3))).toThrow(CoreError);
    expect(() => hostTensor("float32", [-1], new Float32Array(0))).toThrow(/bad shape/);
    expect(hostTensor("complex64", [2], new Float32Array(4)).shape).toEqual([2]);
  });

  it("views unaligned bytes by copying and aligned bytes in place", () => {
    const buf = new Uint8Array(9);
    new DataView(buf.buffer).setFloat32(1, 1.5, true);
    expect(Array.from(viewAs("float32", buf.subarray(1, 5)))).toEqual([1.5]);
    const aligned = new Uint8Array(8);
    const view = viewAs("float32", aligned);
    view[0] = 2;
    expect(new DataView(aligned.buffer).getFloat32(0, true)).toBe(2);
  });

  it("views unaligned bytes of a Node Buffer (whose slice() shares memory) by copying them", () => {
    const file = Buffer.alloc(9, 0xff);
    file.writeFloatLE(1.5, 1);
    expect(Array.from(viewAs("float32", file.subarray(1, 5)))).toEqual([1.5]);
  });

  it("decodes half floats and strings", () => {
    expect(Array.from(toFloat32(hostTensor("float16", [2], new Uint16Array([0x3c00, 0xc000]))))).toEqual([1, -2]);
    expect(stringValues(stringTensor([2], ["a", "é"]))).toEqual(["a", "é"]);
  });
});

describe("saved object tree", () => {
  it("visits shared nodes once, in edge order", () => {
    const root = savedNode("Functional", "model");
    const dense = savedNode("Dense", "dense");
    const opt = savedNode("Adam", "adam");
    root.children.push(
      { name: "layer_with_weights-0", node: dense },
      { name: "layer-1", node: dense },
      { name: "optimizer", node: opt },
    );
    const visited = [...walkSavedTree(root)].map((v) => `${v.node.className}@${v.path.join("/")}`);
    expect(visited).toEqual(["Functional@", "Dense@layer_with_weights-0", "Adam@optimizer"]);
  });
});
