import { readdirSync } from "node:fs";
import { stringValues } from "@kerastore/core";
import { fixturePath, readFixture, readFixtureJson } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { decodeBfloat16, decodeFloat16 } from "@kerastore/core";
import { readKerasH5 } from "./node.js";
import { datasetsOf, h5pyDType, sha256Of } from "./test-support.test-util.js";

interface Described {
  attrs: Record<string, { values: (string | number)[] }>;
  datasets: Record<string, { shape: number[]; dtype: string; sha256: string }>;
}

const files = readdirSync(fixturePath("h5")).filter((f) => f.endsWith(".h5"));

describe("every h5 fixture reads as h5py sees it", () => {
  it("has fixtures", () => expect(files.length).toBeGreaterThanOrEqual(6));
  for (const file of files) {
    it(file, async () => {
      const expected = readFixtureJson<Described>("h5", `${file}.json`);
      const result = await readKerasH5(readFixture("h5", file), { name: file });
      const ours = datasetsOf(result);
      expect([...ours.keys()].sort()).toEqual(Object.keys(expected.datasets).sort());
      for (const [path, tensor] of ours) {
        const want = expected.datasets[path]!;
        expect(tensor.shape, path).toEqual(want.shape);
        expect(h5pyDType(tensor.dtype), path).toBe(want.dtype);
        expect(sha256Of(tensor), path).toBe(want.sha256);
      }
      if (result.kind !== "keras3-weights") {
        const group = result.kind === "legacy-model" ? "/model_weights" : "/";
        const listed =
          expected.attrs[`${group}@layer_names`]?.values ??
          Object.keys(expected.attrs)
            .filter((k) => k.startsWith(`${group}@layer_names`))
            .sort((a, b) => Number(a.slice(a.lastIndexOf("s") + 1)) - Number(b.slice(b.lastIndexOf("s") + 1)))
            .flatMap((k) => expected.attrs[k]!.values);
        expect(result.legacy.weights.layers.map((l) => l.name)).toEqual(listed);
      }
    });
  }
});

describe("structure", () => {
  it("reads Keras 3's legacy .h5 into a tree with classes, paths and the optimizer", async () => {
    const { data, kind, ...rest } = await readKerasH5(readFixture("h5", "seq.h5"), { name: "seq.h5" });
    expect(kind).toBe("legacy-model");
    expect("legacy" in rest && rest.legacy.dialect).toBe("keras3");
    expect(data.kerasVersion).toBe("3.15.1");
    expect(data.root.className).toBe("Sequential");
    expect(data.root.children.map((e) => `${e.name}:${e.node.className}`)).toEqual([
      "dense:Dense",
      "batch_normalization:BatchNormalization",
      "dropout:Dropout",
      "dense_1:Dense",
      "optimizer:Adam",
    ]);
    const bn = data.root.children[1]!.node;
    expect(bn.variables.map((v) => `${v.name}:${v.path}:${v.trainable}`)).toEqual([
      "gamma:seq/batch_normalization/gamma:true",
      "beta:seq/batch_normalization/beta:true",
      "moving_mean:seq/batch_normalization/moving_mean:false",
      "moving_variance:seq/batch_normalization/moving_variance:false",
    ]);
    const opt = data.root.children[4]!.node;
    expect(opt.variables[0]).toMatchObject({ path: "adam/iteration", value: { dtype: "int64", shape: [] } });
    expect((opt.variables[0]!.value.data as BigInt64Array)[0]).toBe(4n);
    expect(data.trainingConfig?.loss).toBe("mean_squared_error");
  });

  it("reads every string encoding and half-float dtype", async () => {
    const { data } = await readKerasH5(readFixture("h5", "strings.h5"), { name: "strings.h5" });
    const byName = new Map(data.root.children.map((e) => [e.name, e.node]));
    expect([...byName.keys()]).toEqual(["nullpad", "spacepad", "vlen_ascii", "vlen_utf8", "empty"]);
    expect(byName.get("nullpad")!.variables.map((v) => v.path)).toEqual(["nullpad/kernel", "nullpad/bias"]);
    expect(byName.get("spacepad")!.variables[0]!.path).toBe("spacepad/w");
    expect(Array.from(byName.get("spacepad")!.variables[0]!.value.data as BigInt64Array)).toEqual([
      -2n,
      -1n,
      0n,
      1n,
      2n,
      3n,
    ]);
    expect(byName.get("vlen_utf8")!.variables[0]).toMatchObject({
      path: "vlen_utf8/d\u00e9j\u00e0",
      value: { shape: [] },
    });
    expect(byName.get("vlen_utf8")!.variables[0]!.value.data[0]).toBe(2.5);
    expect(byName.get("nullpad")!.variables[0]!.value.dtype).toBe("float16");
    expect(byName.get("vlen_ascii")!.variables[0]!.value.dtype).toBe("bfloat16");
    expect(byName.get("empty")!.variables).toEqual([]);
    const half = decodeFloat16(byName.get("nullpad")!.variables[0]!.value.data as Uint16Array);
    const bf = decodeBfloat16(byName.get("vlen_ascii")!.variables[0]!.value.data as Uint16Array);
    expect(half.every(Number.isFinite) && bf.every(Number.isFinite)).toBe(true);
    expect(stringValues).toBeTypeOf("function");
  });

  it("joins chunked layer_names0..N", async () => {
    const { data, ...rest } = await readKerasH5(readFixture("h5", "long_names.h5"), { name: "long_names.h5" });
    expect(data.root.children).toHaveLength(700);
    expect(data.root.children[699]!.name).toMatch(/_0699_x+$/);
    expect(data.root.children[7]!.node.variables.map((v) => v.name)).toEqual(["kernel", "bias"]);
    expect("legacy" in rest && rest.legacy.dialect).toBe("keras2");
  });

  it("reads Keras 3 .weights.h5 walk paths and vars names", async () => {
    const result = await readKerasH5(readFixture("h5", "fun.weights.h5"), { name: "fun.weights.h5" });
    expect(result.kind).toBe("keras3-weights");
    if (result.kind !== "keras3-weights") return;
    expect(result.entries.map((e) => `${e.path}=${e.name}:${e.values.length}`)).toEqual([
      "layers/conv2d=conv2d:2",
      "layers/dense=head:2",
      "layers/flatten=flatten:0",
      "layers/input_layer=pixels:0",
      "optimizer=adam_1:10",
      "=fun:0",
    ]);
    expect(result.data.root.children.map((e) => e.name).sort()).toEqual([
      "conv2d",
      "flatten",
      "head",
      "optimizer",
      "pixels",
    ]);
  });
});
