import { loadCheckpoint, readObjectGraph } from "@kerastore/checkpoint";
import { MemoryStore, toFloat32 } from "@kerastore/core";
import { readFixtureJson } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { fixtureStore } from "./fixture-store.test-util.js";
import { SavedModelError, readSavedModel } from "./index.js";

interface SignatureJson {
  key: string;
  inputs: Record<string, { dtype: string; shape: (number | null)[] | null }>;
  outputs: Record<string, { dtype: string; shape: (number | null)[] | null }>;
}

describe.each(["keras_export", "tf_module"])("readSavedModel on %s", (name) => {
  it("reads the serving signature as TensorFlow reports it", async () => {
    const info = await readSavedModel(fixtureStore(name), "saved_model");
    const expected = readFixtureJson<SignatureJson>("savedmodel", name, "signature.json");
    const sig = info.signatures[expected.key]!;
    expect(info.tags).toEqual(["serve"]);
    expect(sig.methodName).toBe("tensorflow/serving/predict");
    const strip = (side: SignatureJson["inputs"]) =>
      Object.fromEntries(Object.entries(side).map(([k, v]) => [k, { dtype: v.dtype, shape: v.shape }]));
    const ours = (side: typeof sig.inputs) =>
      Object.fromEntries(Object.entries(side).map(([k, v]) => [k, { dtype: v.dtype, shape: v.shape }]));
    expect(ours(sig.inputs)).toEqual(strip(expected.inputs));
    expect(ours(sig.outputs)).toEqual(strip(expected.outputs));
    expect(sig.functionName).toMatch(/^__inference_signature_wrapper_/);
    expect(info.library.has(sig.functionName!)).toBe(true);
  });

  it("shares node ids with the checkpoint's object graph (the fact variable values are matched by)", async () => {
    const store = fixtureStore(name);
    const info = await readSavedModel(store, "saved_model");
    const graph = await readObjectGraph((await loadCheckpoint(store, "saved_model/variables/variables")).bundle);
    expect(graph.nodes.length).toBe(info.objects.length);
    for (const v of info.variables) expect(graph.nodes[v.nodeId]!.attributes.map((a) => a.fullName)).toEqual([v.name]);
    for (const object of info.objects) {
      const edges = graph.nodes[object.id]!.children.map((c) => [c.localName, c.nodeId]);
      // The checkpoint leaves out edges to functions and signatures; every edge it has is ours.
      for (const edge of edges) expect(object.children.map((c) => [c.name, c.id])).toContainEqual(edge);
    }
  });

  it("ties every variable to a checkpoint value of its dtype and shape", async () => {
    const info = await readSavedModel(fixtureStore(name), "saved_model");
    expect(info.variables.length).toBeGreaterThan(0);
    for (const v of info.variables) {
      expect(info.objects[v.nodeId]!.kind).toBe("variable");
      expect(v.value!.dtype).toBe(v.dtype);
      expect(v.value!.shape).toEqual(v.shape);
    }
  });
});

describe("readSavedModel details", () => {
  it("reads the tf.Module's variables as tf.saved_model.load lists them", async () => {
    const info = await readSavedModel(fixtureStore("tf_module"), "saved_model");
    const expected = readFixtureJson<{ name: string; shape: number[]; dtype: string; trainable: boolean }[]>(
      "savedmodel",
      "tf_module",
      "variables.json",
    );
    const ours = info.variables.map((v) => ({
      name: `${v.name}:0`,
      shape: v.shape,
      dtype: v.dtype,
      trainable: v.trainable,
    }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect(ours.sort(byName)).toEqual([...expected].sort(byName));
    const steps = info.variables.find((v) => v.name === "steps")!;
    expect(steps.value!.data).toEqual(BigInt64Array.from([7n]));
    // factor = tf.linspace(0.5, 2.0, 4)
    const factor = info.variables.find((v) => v.name === "factor")!;
    expect(Array.from(toFloat32(factor.value!))).toEqual([0.5, 1, 1.5, 2]);
  });

  it("lists the root's functions and the object graph edges", async () => {
    const keras = await readSavedModel(fixtureStore("keras_export"), "saved_model");
    expect(Object.keys(keras.rootFunctions)).toEqual(["serve"]);
    expect(keras.rootFunctions["serve"]).toHaveLength(1);
    expect(Object.keys(keras.signatures).sort()).toEqual(["__saved_model_init_op", "serve", "serving_default"]);
    expect(keras.signatures["__saved_model_init_op"]!.functionName).toBeUndefined();
    const module = await readSavedModel(fixtureStore("tf_module"), "saved_model");
    expect(Object.keys(module.rootFunctions)).toEqual(["__call__"]);
    expect(module.objects[0]!.children.map((c) => c.name)).toEqual([
      "w",
      "b",
      "steps",
      "scale",
      "__call__",
      "signatures",
    ]);
    const cf = module.concreteFunctions.get(module.rootFunctions["__call__"]![0]!)!;
    expect(cf.boundInputs.map((id) => module.variables.find((v) => v.nodeId === id)!.name)).toEqual([
      "w",
      "b",
      "factor",
    ]);
    expect(cf.outputSignature.kind).toBe("dict");
  });

  it("reads without values when asked", async () => {
    const info = await readSavedModel(fixtureStore("tf_module"), "saved_model", { values: false });
    expect(info.variables.every((v) => v.value === undefined)).toBe(true);
  });

  it("refuses a missing directory and a text SavedModel with typed errors", async () => {
    await expect(readSavedModel(new MemoryStore(), "nowhere")).rejects.toMatchObject({
      name: "SavedModelError",
      code: "not-found",
    });
    const text = new MemoryStore({ "m/saved_model.pbtxt": new TextEncoder().encode("saved_model_schema_version: 1") });
    const error = await readSavedModel(text, "m").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SavedModelError);
    expect(error).toMatchObject({ code: "unsupported" });
    expect((error as Error).message).toMatch(
      /^cannot read .*saved_model\.pbtxt: text-format SavedModels are not read; /,
    );
  });
});
