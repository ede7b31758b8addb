import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { type KerastoreError, toFloat32 } from "@kerastore/core";
import { readFixture, readFixtureNpy } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { fixtureStore } from "./fixture-store.test-util.js";
import { SavedModelSchema } from "./gen/saved_model_pb.js";
import { TensorShapeProto_DimSchema } from "./gen/tensor_pb.js";
import { SavedModelError, createFunctionRunner, readSavedModel } from "./index.js";
import { backend } from "./js-backend.test-util.js";

/** A small deterministic PRNG (mulberry32), so every run tries the same mutations. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads a (mutated) fixture and runs its serving signature; returns the error, if any. */
async function readAndRun(name: string, pb: Uint8Array): Promise<unknown> {
  try {
    const info = await readSavedModel(fixtureStore(name, pb), "saved_model");
    const runner = createFunctionRunner(info, backend);
    const x = readFixtureNpy("savedmodel", name, "input0.npy");
    const key = Object.keys(info.signatures).find((k) => info.signatures[k]!.functionName !== undefined);
    if (key !== undefined) {
      const sig = info.signatures[key]!;
      runner.runSignature(
        key,
        Object.fromEntries(Object.keys(sig.inputs).map((k) => [k, { shape: x.shape, data: toFloat32(x) }])),
      );
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

function expectTyped(error: unknown, label: string): void {
  if (error === undefined) return;
  if (!(error instanceof SavedModelError))
    throw new Error(`${label}: expected a SavedModelError, got ${String(error)}`, { cause: error });
  expect(error.message, label).toMatch(/^cannot \w+ /);
}

describe.each(["keras_export", "tf_module"])("mutated saved_model.pb of %s", (name) => {
  const original = readFixture("savedmodel", name, "saved_model", "saved_model.pb");

  it("gives a SavedModelError or a correct read for 60 truncations", async () => {
    let errors = 0;
    for (let i = 0; i < 60; i++) {
      const cut = Math.floor((original.length * i) / 60);
      const error = await readAndRun(name, original.slice(0, cut));
      expectTyped(error, `truncated at ${cut}`);
      if (error !== undefined) errors++;
    }
    expect(errors).toBeGreaterThan(50);
  });

  it("gives a SavedModelError or a correct read for 120 bit flips and byte overwrites", async () => {
    const next = rng(name.length * 7919);
    let errors = 0;
    for (let i = 0; i < 120; i++) {
      const bytes = original.slice();
      const flips = 1 + Math.floor(next() * 4);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(next() * bytes.length);
        bytes[at] = i % 2 === 0 ? bytes[at]! ^ (1 << Math.floor(next() * 8)) : Math.floor(next() * 256);
      }
      const error = await readAndRun(name, bytes);
      expectTyped(error, `mutation ${i}`);
      if (error !== undefined) errors++;
    }
    expect(errors).toBeGreaterThan(0);
  });

  it("gives a SavedModelError for 40 lying length prefixes", async () => {
    const next = rng(name.length * 104729);
    for (let i = 0; i < 40; i++) {
      const bytes = original.slice();
      // Find a length-delimited field tag (wire type 2) and make its one-byte length lie.
      let at = Math.floor(next() * (bytes.length - 2));
      while (at < bytes.length - 2 && ((bytes[at]! & 7) !== 2 || bytes[at + 1]! >= 0x80)) at++;
      if (at >= bytes.length - 2) continue;
      bytes[at + 1] = 0x7f;
      bytes.set([0xff, 0xff, 0xff, 0xff, 0x0f].slice(0, Math.min(5, bytes.length - at - 1)), at + 1);
      expectTyped(await readAndRun(name, bytes), `lying length at ${at}`);
    }
  });
});

describe("hostile references and sizes", () => {
  const original = readFixture("savedmodel", "tf_module", "saved_model", "saved_model.pb");
  const mutate = (edit: (model: ReturnType<typeof fromBinary<typeof SavedModelSchema>>) => void): Uint8Array => {
    const model = fromBinary(SavedModelSchema, original);
    edit(model);
    return toBinary(SavedModelSchema, model);
  };

  it("refuses out-of-range node ids, unknown functions and impossible shapes", async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      [
        "child id",
        mutate((m) => {
          m.metaGraphs[0]!.objectGraphDef!.nodes[0]!.children[0]!.nodeId = 99999;
        }),
        /node id 99999 is not in 0\.\.\d+/,
      ],
      [
        "bound input",
        mutate((m) => {
          for (const cf of Object.values(m.metaGraphs[0]!.objectGraphDef!.concreteFunctions)) cf.boundInputs.push(-3);
        }),
        /node id -3 is not in/,
      ],
      [
        "function name",
        mutate((m) => {
          const fn = m.metaGraphs[0]!.graphDef!.library!.function.find((f) =>
            f.signature!.name.startsWith("__inference___call__"),
          )!;
          fn.signature!.name = "renamed";
        }),
        /concrete function __inference___call___\d+ .*the function library does not define it/,
      ],
      [
        "variable shape",
        mutate((m) => {
          const v = m.metaGraphs[0]!.objectGraphDef!.nodes.find((n) => n.kind.case === "variable")!;
          if (v.kind.case === "variable")
            v.kind.value.shape!.dim.push(create(TensorShapeProto_DimSchema, { size: 1n << 60n }));
        }),
        /dimension size 1152921504606846976 is out of range/,
      ],
      [
        "variable rank",
        mutate((m) => {
          const v = m.metaGraphs[0]!.objectGraphDef!.nodes.find((n) => n.kind.case === "variable")!;
          if (v.kind.case === "variable")
            v.kind.value.shape!.dim.push(create(TensorShapeProto_DimSchema, { size: 5n }));
        }),
        /checkpoint holds float32 \[3, 4\], the object graph says float32 \[3, 4, 5\]/,
      ],
      [
        "cycle",
        mutate((m) => {
          const fn = m.metaGraphs[0]!.graphDef!.library!.function.find((f) =>
            f.signature!.name.startsWith("__inference___call__"),
          )!;
          const tanh = fn.nodeDef.find((n) => n.op === "Tanh")!;
          const mul = fn.nodeDef.find((n) => n.op === "Mul")!;
          mul.input[0] = `${tanh.name}:y:0`;
        }),
        /node \w+ depends on itself/,
      ],
    ];
    for (const [label, pb, message] of cases) {
      const error = await readAndRun("tf_module", pb);
      expect(error, label).toBeInstanceOf(SavedModelError);
      expect((error as KerastoreError).message, label).toMatch(message);
    }
  });

  it("refuses a structure nested 100,000 deep without a crash", async () => {
    const varint = (n: number): number[] => {
      const out: number[] = [];
      while (n >= 0x80) {
        out.push((n & 0x7f) | 0x80);
        n >>>= 7;
      }
      out.push(n);
      return out;
    };
    const field = (tag: number, body: Uint8Array): Uint8Array =>
      Uint8Array.from([...varint((tag << 3) | 2), ...varint(body.length), ...body]);
    // StructuredValue.list_value (51) -> ListValue.values (1) -> StructuredValue ..., written
    // back to front into one buffer (prepending level by level would copy quadratically).
    const depth = 100_000;
    const buffer = new Uint8Array(depth * 12);
    let start = buffer.length;
    const prepend = (bytes: number[]) => {
      start -= bytes.length;
      buffer.set(bytes, start);
    };
    for (let i = 0; i < depth; i++) {
      prepend([...varint((1 << 3) | 2), ...varint(buffer.length - start)]);
      prepend([...varint((51 << 3) | 2), ...varint(buffer.length - start)]);
    }
    const inner = buffer.subarray(start);
    const concrete = field(3, inner); // SavedConcreteFunction.canonicalized_input_signature
    const entry = Uint8Array.from([...field(1, new TextEncoder().encode("f")), ...field(2, concrete)]);
    const pb = field(2, field(7, field(2, entry))); // SavedModel.meta_graphs -> object_graph_def -> concrete_functions
    const error = await readAndRun("tf_module", pb);
    expect(error).toBeInstanceOf(SavedModelError);
    expect((error as Error).message).toMatch(/^cannot (decode|read) /);
  });
});
