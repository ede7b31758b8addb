import { type HostTensor, type NumericHostTensor, type SavedModelData, bytesOf, hostTensor } from "@kerastore/core";
import { describe, expect, it } from "vitest";
import { keras3WeightsH5Chunks, legacyH5Chunks, readKerasH5, writeKeras3WeightsH5, writeLegacyH5 } from "./node.js";

const TENSORS: NumericHostTensor[] = [
  hostTensor("float16", [2, 2], new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001])),
  hostTensor("bfloat16", [3], new Uint16Array([0x3f80, 0xc000, 0x7f7f])),
  hostTensor("bool", [4], new Uint8Array([1, 0, 0, 1])),
  hostTensor("int8", [2], new Int8Array([-128, 127])),
  hostTensor("uint16", [2], new Uint16Array([0, 65535])),
  hostTensor("int64", [], new BigInt64Array([-5n])),
  hostTensor("uint64", [1], new BigUint64Array([2n ** 63n])),
  hostTensor("float64", [1, 1], new Float64Array([Math.PI])),
  hostTensor("float32", [0, 3], new Float32Array(0)),
];

function tree(): SavedModelData {
  return {
    root: {
      className: "Sequential",
      name: "m",
      variables: [],
      children: [
        {
          name: "zoo",
          node: {
            className: "Dense",
            name: "zoo",
            variables: TENSORS.map((value, i) => ({ name: `w${i}`, path: `zoo/w${i}`, trainable: true, value })),
            children: [],
          },
        },
      ],
    },
    modelConfig: { class_name: "Sequential", config: { name: "m", layers: [] } },
  };
}

const digest = (t: HostTensor) =>
  `${t.dtype} [${t.shape}] ${Array.from(bytesOf(t.data as NumericHostTensor["data"])).join(",")}`;

describe("native writer", () => {
  it("writes every Keras dtype, float16, bfloat16 and bool included, that the h5wasm reader reads back", async () => {
    const bytes = await writeLegacyH5(tree());
    const again = await readKerasH5(bytes, { name: "zoo.h5" });
    expect(again.kind).toBe("legacy-model");
    if (again.kind === "keras3-weights") return;
    expect(again.legacy.weights.layers[0]!.weights.map(digest)).toEqual(TENSORS.map(digest));
    const k3 = await readKerasH5(await writeKeras3WeightsH5(tree()));
    expect(k3.kind === "keras3-weights" && k3.entries[0]!.values.map(digest)).toEqual(TENSORS.map(digest));
  });

  it("streams: the chunks join to the same file, and weight chunks are the tensors' own bytes", async () => {
    const data = tree();
    const chunks = legacyH5Chunks(data);
    const whole = await writeLegacyH5(data);
    expect(chunks.reduce((s, c) => s + c.byteLength, 0)).toBe(whole.byteLength);
    const buffers = new Set(chunks.map((c) => c.buffer));
    for (const t of TENSORS) if (t.data.byteLength > 0) expect(buffers.has(t.data.buffer)).toBe(true);
    const k3 = keras3WeightsH5Chunks(data);
    expect(k3.some((c) => c.buffer === TENSORS[7]!.data.buffer)).toBe(true);
  });

  it("aligns every tensor's data to 64 bytes", async () => {
    const chunks = legacyH5Chunks(tree());
    let at = 0;
    for (const c of chunks) {
      if (TENSORS.some((t) => t.data.buffer === c.buffer)) expect(at % 64).toBe(0);
      at += c.byteLength;
    }
  });

  it("refuses a name list too large for one header message, and a tensor whose bytes disagree with its shape", async () => {
    const bad = tree();
    bad.root.children[0]!.node.variables[0]!.value = { dtype: "float32", shape: [5], data: new Float32Array(4) };
    await expect(writeLegacyH5(bad, { name: "bad.h5" })).rejects.toMatchObject({
      code: "unsupported",
      path: expect.stringContaining("bad.h5:/model_weights/zoo/"),
    });
    const many = tree();
    many.root.children = Array.from({ length: 5000 }, (_, i) => ({
      name: `l${i}`,
      node: { className: "Dense", name: `l${i}`, variables: [], children: [] },
    }));
    await expect(writeLegacyH5(many, { name: "many.h5" })).rejects.toMatchObject({
      code: "invalid-tree",
      path: "many.h5:/model_weights",
    });
  });
});
