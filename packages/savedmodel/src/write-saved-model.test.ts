import { OBJECT_GRAPH_KEY, openBundle, readObjectGraph } from "@kerastore/checkpoint";
import { MemoryStore, type SavedNode, type SavedVariable, hostTensor } from "@kerastore/core";
import { describe, expect, it } from "vitest";
import {
  FunctionBuilder,
  SAVED_MODEL_PB,
  SavedModelError,
  type SignatureToWrite,
  VARIABLES_PREFIX,
  attr,
  createFunctionRunner,
  readKerasMetadata,
  readSavedModel,
  writeSavedModel,
} from "./index.js";
import { backend } from "./js-backend.test-util.js";

function variable(path: string, shape: number[], values: number[], trainable = true): SavedVariable {
  return {
    name: path.split("/").pop()!,
    path,
    trainable,
    value: hostTensor("float32", shape, Float32Array.from(values)),
  };
}

/** relu(x @ kernel + bias) * scale, with the Dense layer one level down the tree. */
function denseModel() {
  const kernel = variable("dense/kernel", [2, 3], [1, 2, 3, 4, 5, 6]);
  const bias = variable("dense/bias", [3], [0.5, -10, 0]);
  const scale = variable("scale", [3], [2, 2, 2], false);
  const dense: SavedNode = { className: "Dense", name: "dense", variables: [kernel, bias], children: [] };
  const root: SavedNode = {
    className: "Model",
    name: "m",
    variables: [scale],
    children: [{ name: "layer_with_weights-0", node: dense }],
  };
  const b = new FunctionBuilder("__inference_signature_wrapper_7");
  const x = b.input("x", "float32", [null, 2]);
  const read = (name: string, shape: number[]) =>
    b.op("ReadVariableOp", `${name}/ReadVariableOp`, [b.capture(name, "float32", shape)], {
      dtype: attr.type("float32"),
    });
  const k = read("kernel", [2, 3]);
  const bb = read("bias", [3]);
  const s = read("scale", [3]);
  const y = b.op(
    "Relu",
    "Relu",
    [
      b.op("BiasAdd", "BiasAdd", [b.op("MatMul", "MatMul", [x, k], { T: attr.type("float32") }), bb], {
        T: attr.type("float32"),
      }),
    ],
    { T: attr.type("float32") },
  );
  b.output("scaled", b.op("Mul", "mul", [y, s], { T: attr.type("float32") }), "float32", [null, 3]);
  b.output("plain", y, "float32", [null, 3]);
  const signature: SignatureToWrite = {
    builder: b,
    inputs: [{ name: "x", dtype: "float32", shape: [null, 2] }],
    captures: [kernel, bias, scale],
  };
  return { root, dense, signature, kernel };
}

describe("writeSavedModel", () => {
  it("writes a SavedModel that readSavedModel and the function runner read back and run", async () => {
    const { root, signature } = denseModel();
    const store = new MemoryStore();
    await writeSavedModel(store, "sm", { variables: root, signatures: { serving_default: signature } });
    expect((await store.list("sm")).sort()).toEqual(["assets", "saved_model.pb", "variables"]);
    const info = await readSavedModel(store, "sm");
    expect(info.tags).toEqual(["serve"]);
    expect(info.tensorflowVersion).toBe("2.21.0");
    const sig = info.signatures["serving_default"]!;
    expect(sig.functionName).toBe("__inference_signature_wrapper_7");
    expect(Object.keys(sig.outputs).sort()).toEqual(["plain", "scaled"]);
    expect(sig.inputs["x"]).toEqual({ tensorName: "serving_default_x:0", dtype: "float32", shape: [null, 2] });
    const runner = createFunctionRunner(info, backend);
    const x = { shape: [2, 2], data: Float32Array.from([1, 1, -1, 0]) };
    const out = runner.runSignature("serving_default", { x });
    // [1,1] @ k = [5,7,9] + bias = [5.5,-3,9] -> relu [5.5,0,9]; [-1,0] @ k = [-1,-2,-3] + bias -> [0,0,0].
    expect(Array.from(out["plain"]!.data)).toEqual([5.5, 0, 9, 0, 0, 0]);
    expect(Array.from(out["scaled"]!.data)).toEqual([11, 0, 18, 0, 0, 0]);
    expect(info.variables.map((v) => [v.name, v.trainable, v.shape])).toEqual([
      ["scale", false, [3]],
      ["dense/kernel", true, [2, 3]],
      ["dense/bias", true, [3]],
    ]);
  });

  it("numbers the SavedObjectGraph as the variables checkpoint's object graph, and binds captures by those ids", async () => {
    const { root, signature } = denseModel();
    const store = new MemoryStore();
    await writeSavedModel(store, "sm", { variables: root, signatures: { serving_default: signature } });
    const info = await readSavedModel(store, "sm");
    const bundle = await openBundle(store, `sm/${VARIABLES_PREFIX}`);
    expect(bundle.entries.has(OBJECT_GRAPH_KEY)).toBe(true);
    const graph = await readObjectGraph(bundle);
    for (const [id, node] of graph.nodes.entries()) {
      const object = info.objects[id]!;
      const isVariable = node.attributes.some((a) => a.name === "VARIABLE_VALUE");
      expect(object.kind, `node ${id}`).toBe(isVariable ? "variable" : "user_object");
      if (!isVariable)
        expect(object.children.slice(0, node.children.length)).toEqual(
          node.children.map((c) => ({ name: c.localName, id: c.nodeId })),
        );
    }
    // After the checkpoint's nodes: the signature map and its function.
    const rootChildren = info.objects[0]!.children.map((c) => c.name);
    expect(rootChildren.at(-1)).toBe("signatures");
    const bound = info.concreteFunctions.get("__inference_signature_wrapper_7")!.boundInputs;
    expect(bound.map((id) => info.variables.find((v) => v.nodeId === id)?.name)).toEqual([
      "dense/kernel",
      "dense/bias",
      "scale",
    ]);
  });

  it("writes keras_metadata.pb entries with the node ids and paths of the object graph", async () => {
    const { root, dense, signature } = denseModel();
    const store = new MemoryStore();
    await writeSavedModel(store, "sm", {
      variables: root,
      signatures: { serving_default: signature },
      kerasMetadata: [
        { node: root, identifier: "_tf_keras_network", metadata: '{"name":"m"}' },
        { node: dense, identifier: "_tf_keras_layer", metadata: '{"name":"dense"}' },
      ],
    });
    const meta = await readKerasMetadata(store, "sm");
    const info = await readSavedModel(store, "sm");
    const denseId = info.objects[0]!.children.find((c) => c.name === "layer_with_weights-0")!.id;
    expect(meta).toEqual([
      { nodeId: 0, nodePath: "root", identifier: "_tf_keras_network", metadata: '{"name":"m"}' },
      {
        nodeId: denseId,
        nodePath: "root.layer_with_weights-0",
        identifier: "_tf_keras_layer",
        metadata: '{"name":"dense"}',
      },
    ]);
    expect(await readKerasMetadata(store, "nowhere")).toBeUndefined();
  });

  it("refuses a capture that is not a variable of the tree, leaving no directory", async () => {
    const { root, signature } = denseModel();
    const stray = variable("stray", [3], [0, 0, 0]);
    const store = new MemoryStore();
    const bad = { ...signature, captures: [...signature.captures.slice(0, 2), stray] };
    const error = await writeSavedModel(store, "sm", { variables: root, signatures: { serving_default: bad } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SavedModelError);
    expect((error as SavedModelError).code).toBe("invalid-argument");
    expect((error as Error).message).toMatch(/cannot write signature "serving_default": it captures variable "stray"/);
    expect(await store.exists("sm")).toBe(false);
  });

  it("refuses signature inputs out of name order (TensorFlow passes keywords sorted by name)", async () => {
    const { root, signature } = denseModel();
    const b = new FunctionBuilder("g");
    const z = b.input("z", "float32", [null, 2]);
    b.input("a", "float32", [null, 2]);
    b.output("out", z, "float32", [null, 2]);
    const inputs = [
      { name: "z", dtype: "float32" as const, shape: [null, 2] },
      { name: "a", dtype: "float32" as const, shape: [null, 2] },
    ];
    const store = new MemoryStore();
    const write = writeSavedModel(store, "sm", {
      variables: root,
      signatures: { serving_default: signature, other: { builder: b, inputs, captures: [] } },
    });
    await expect(write).rejects.toThrow(/signature "other": its inputs \(z, a\) are not in name order/);
    expect(await store.exists("sm")).toBe(false);
  });

  it("over an existing SavedModel, removes the old saved_model.pb before anything else", async () => {
    const { root, signature } = denseModel();
    const store = new MemoryStore();
    await writeSavedModel(store, "sm", { variables: root, signatures: { serving_default: signature } });
    const old = await store.read(`sm/${SAVED_MODEL_PB}`);
    const stray = variable("stray", [3], [0, 0, 0]);
    await expect(
      writeSavedModel(store, "sm", {
        variables: root,
        signatures: { serving_default: { ...signature, captures: [stray] } },
      }),
    ).rejects.toThrow(SavedModelError);
    expect(await store.exists(`sm/${SAVED_MODEL_PB}`)).toBe(false);
    await writeSavedModel(store, "sm", { variables: root, signatures: { serving_default: signature } });
    expect(await store.read(`sm/${SAVED_MODEL_PB}`)).toEqual(old);
  });

  it("FunctionBuilder: trailing resource inputs with handle data, sorted outputs, unique names", () => {
    const b = new FunctionBuilder("f");
    const x = b.input("Input-1", "float32", [null, 2]);
    b.capture("kernel", "float32", [2, 2]);
    b.capture("kernel", "float32", [2, 2]);
    const first = b.op("Relu", "dense/Relu", [x]);
    const second = b.op("Relu", "dense/Relu", [first]);
    expect([x, first, second]).toEqual(["input_1", "dense/Relu:activations:0", "dense/Relu_1:activations:0"]);
    b.output("z", second, "float32", [null, 2]);
    b.output("a", first, "float32", [null, 2]);
    expect(() => b.output("a", first, "float32", [null, 2])).toThrow(/two outputs are named "a"/);
    const fn = b.build();
    expect(fn.signature?.inputArg.map((a) => [a.name, a.type, a.handleData.length])).toEqual([
      ["input_1", 1, 0],
      ["kernel_resource", 20, 1],
      ["kernel_resource_0", 20, 1],
    ]);
    expect(fn.signature?.outputArg.map((a) => a.name)).toEqual(["a", "z"]);
    expect(fn.signature?.isStateful).toBe(true);
    expect(fn.ret).toEqual({ a: "Identity:output:0", z: "Identity_1:output:0" });
  });
});
