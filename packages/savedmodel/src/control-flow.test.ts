import { create, toBinary } from "@bufbuild/protobuf";
import { MemoryStore } from "@kerastore/core";
import { describe, expect, it } from "vitest";
import type { NodeDef } from "./gen/graph_pb.js";
import { SavedModelSchema } from "./gen/saved_model_pb.js";
import type { StructuredValue } from "./gen/struct_pb.js";
import { type RunnerBackend, SavedModelError, createFunctionRunner, readSavedModel } from "./index.js";
import { type Mat, backend as jsBackend } from "./js-backend.test-util.js";

// A hand-built SavedModel whose root function `f(x)` runs a While loop (i < limit: i += 1,
// x *= 2), a StatelessIf (x > 100 ? x - 100 : x) and a StatelessCase on the loop count, written with TensorFlow's op and
// attribute names, so the runner's control flow is checked without a fixture from Python.

const scalar = (v: number) => ({ case: "tensor" as const, value: { dtype: 1, tensorShape: {}, floatVal: [v] } });
const func = (name: string) => ({ value: { case: "func" as const, value: { name } } });
const node = (name: string, op: string, input: string[], attr: NodeDef["attr"] = {}) => ({ name, op, input, attr });
const constant = (name: string, v: number) =>
  node(name, "Const", [], { value: { value: scalar(v) } } as unknown as NodeDef["attr"]);
const fn = (name: string, inputs: string[], outputs: Record<string, string>, nodes: ReturnType<typeof node>[]) => ({
  signature: {
    name,
    inputArg: inputs.map((n) => ({ name: n })),
    outputArg: Object.keys(outputs).map((n) => ({ name: n })),
  },
  nodeDef: nodes,
  ret: outputs,
});
const spec: StructuredValue = {
  kind: { case: "tensorSpecValue", value: { name: "x", dtype: 1, shape: { dim: [{ size: -1n }] } } },
} as StructuredValue;
const tuple = (...values: StructuredValue[]) =>
  ({ kind: { case: "tupleValue", value: { values } } }) as StructuredValue;

function savedModel(limit: number, condAlwaysTrue = false): Uint8Array {
  const library = [
    fn("f", ["x"], { y: "pick:output:0" }, [
      constant("zero", 0),
      node("loop", "While", ["zero:output:0", "x"], {
        cond: func("cond"),
        body: func("body"),
      } as unknown as NodeDef["attr"]),
      constant("hundred", 100),
      node("big", "Greater", ["loop:output:1", "hundred:output:0"]),
      node("branch", "StatelessIf", ["big:z:0", "loop:output:1"], {
        then_branch: func("minus"),
        else_branch: func("same"),
      } as unknown as NodeDef["attr"]),
      // Case on the loop count: branch 3 doubles, any other index (out of range: the last) keeps.
      node("pick", "StatelessCase", ["loop:output:0", "branch:output:0"], {
        branches: {
          value: {
            case: "list",
            value: {
              func: [{ name: "same" }, { name: "same" }, { name: "same" }, { name: "twice" }, { name: "same" }],
            },
          },
        },
      } as unknown as NodeDef["attr"]),
    ]),
    fn("twice", ["x"], { y: "mul:z:0" }, [constant("two", 2), node("mul", "Mul", ["x", "two:output:0"])]),
    fn("cond", ["i", "x"], { c: condAlwaysTrue ? "yes:output:0" : "less:z:0" }, [
      constant("limit", limit),
      constant("yes", 1),
      node("less", "Less", ["i", "limit:output:0"]),
    ]),
    fn("body", ["i", "x"], { i2: "inc:z:0", x2: "dbl:z:0" }, [
      constant("one", 1),
      constant("two", 2),
      node("inc", "AddV2", ["i", "one:output:0"]),
      node("dbl", "Mul", ["x", "two:output:0"]),
    ]),
    fn("minus", ["x"], { y: "sub:z:0" }, [constant("hundred", 100), node("sub", "Sub", ["x", "hundred:output:0"])]),
    fn("same", ["x"], { y: "x" }, []),
  ];
  const model = create(SavedModelSchema, {
    metaGraphs: [
      {
        metaInfoDef: { tags: ["serve"] },
        graphDef: { library: { function: library } },
        objectGraphDef: {
          nodes: [
            {
              children: [{ nodeId: 1, localName: "f" }],
              kind: { case: "userObject", value: { identifier: "_generic_user_object" } },
            },
            { kind: { case: "function", value: { concreteFunctions: ["f"] } } },
          ],
          concreteFunctions: {
            f: {
              boundInputs: [],
              canonicalizedInputSignature: tuple(tuple(spec), {
                kind: { case: "dictValue", value: { fields: {} } },
              } as StructuredValue),
              outputSignature: spec,
            },
          },
        },
      },
    ],
  } as never);
  return toBinary(SavedModelSchema, model);
}

const scalarOf = (t: Mat) => t.data[0]!;
const backend: RunnerBackend<Mat> = {
  ...jsBackend,
  kernels: {
    ...jsBackend.kernels,
    Const: (_, attrs) => {
      const t = attrs.tensor("value");
      return [{ shape: t.shape, data: Float32Array.from(t.data as Float32Array) }];
    },
    Less: ([a, b]) => [{ shape: [], data: Float32Array.of(scalarOf(a!) < scalarOf(b!) ? 1 : 0) }],
    Greater: ([a, b]) => [{ shape: [], data: Float32Array.of(Math.max(...a!.data) > scalarOf(b!) ? 1 : 0) }],
    Sub: ([a, b]) => [{ shape: a!.shape, data: a!.data.map((v) => v - scalarOf(b!)) }],
  },
  truthy: (t) => t.data[0] !== 0,
  scalar: (t) => t.data[0]!,
  maxIterations: 50,
};

async function runnerFor(pb: Uint8Array, on: RunnerBackend<Mat> = backend) {
  const info = await readSavedModel(new MemoryStore({ "m/saved_model.pb": pb }), "m");
  return createFunctionRunner(info, on);
}

describe("control flow", () => {
  const x: Mat = { shape: [2], data: Float32Array.of(1, 2) };

  it("runs While loops, If and Case branches through their functions", async () => {
    // 3 iterations: x * 8, then the Case's branch 3 doubles it.
    expect(Array.from(((await runnerFor(savedModel(3))).callFunction("f", [x]) as Mat).data)).toEqual([16, 32]);
    expect(Array.from(((await runnerFor(savedModel(2))).callFunction("f", [x]) as Mat).data)).toEqual([4, 8]);
    // 2 * 2^6 = 128 > 100, so the If takes its then branch: x - 100.
    expect(Array.from(((await runnerFor(savedModel(6))).callFunction("f", [x]) as Mat).data)).toEqual([-36, 28]);
  });

  it("stops a loop that runs past maxIterations with a typed error, not a hang", async () => {
    const runner = await runnerFor(savedModel(3, true));
    expect(() => runner.callFunction("f", [x])).toThrow(SavedModelError);
    expect(() => runner.callFunction("f", [x])).toThrow(
      /cannot run node loop \(While\) of function f: the loop ran past 50 iterations/,
    );
  });

  it("refuses control flow on a backend that cannot read conditions", async () => {
    const { truthy: _, ...withoutTruthy } = backend;
    const runner = await runnerFor(savedModel(3), withoutTruthy);
    expect(() => runner.callFunction("f", [x])).toThrow(/op While needs a backend that reads conditions/);
  });
});
