import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "@kerastore/core";
import { Layer, type Shape, type Variable, tf } from "@kerastore/engine";
import { createRegistry, registerSerializable } from "@kerastore/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras } from "./node.js";

// The guide's custom layer, registered the Keras way (`register_keras_serializable`), saved in
// every whole-model format and loaded back with no customObjects at all.
class ScaledDense extends Layer {
  readonly units: number;
  w: Variable | undefined;
  constructor(args: { units?: number; name?: string } = {}) {
    super(args);
    this.units = args.units ?? 4;
  }
  override build(inputShape: Shape | Shape[]): void {
    this.w = this.addWeight({
      name: "w",
      shape: [(inputShape as Shape)[1] as number, this.units],
      initializer: "RandomNormal",
    });
    super.build(inputShape);
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(tf.matMul(inputs as tf.Tensor2D, this.w!.value as tf.Tensor2D), 2);
  }
  override getConfig(): JsonObject {
    return { ...super.getConfig(), units: this.units };
  }
  static override fromConfig<T extends Layer>(this: new (args: never) => T, config: JsonObject): T {
    return new this({ units: config.units, name: config.name } as never);
  }
}

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-custom-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function model(): InstanceType<typeof keras.Model> {
  const inputs = keras.Input({ shape: [3] });
  const outputs = new ScaledDense({ units: 2, name: "scaled" }).apply(inputs);
  return new keras.Model({ inputs, outputs });
}

// Registered once, in the default registry, as Keras's register_keras_serializable does.
registerSerializable(ScaledDense, { package: "MyPkg" });

describe("custom objects through a registry", () => {
  it.each(["keras", "h5", "json"])(
    "a registerSerializable class saves as MyPkg>ScaledDense and loads from .%s with no customObjects",
    async (ext) => {
      const m = model();
      const path = join(dir, `custom.${ext}`);
      await m.save(path);
      const loaded = await keras.models.loadModel(path);
      expect(loaded.getLayer("scaled")).toBeInstanceOf(ScaledDense);
      expect(JSON.stringify(loaded.toConfig())).toContain('"registered_name":"MyPkg>ScaledDense"');
      if (ext !== "json") {
        const x = { dtype: "float32" as const, shape: [2, 3], data: new Float32Array([1, 2, 3, -1, 0.5, 4]) };
        expect(Array.from((loaded.predict(x) as { data: Float32Array }).data)).toEqual(
          Array.from((m.predict(x) as { data: Float32Array }).data),
        );
      }
    },
  );

  it("an unregistered name fails with the class and both fixes; a registry value or customObjects fix it", async () => {
    const path = join(dir, "renamed.json");
    await model().save(path);
    const json = (await readFile(path, "utf8"))
      .replaceAll("MyPkg>ScaledDense", "Other>Scaled")
      .replaceAll('"ScaledDense"', '"Scaled"');
    await writeFile(path, json);
    await expect(keras.models.loadModel(path)).rejects.toThrow(
      'unknown layer class "Scaled": pass it in customObjects or register it with registerSerializable',
    );
    const registry = createRegistry();
    registry.register("Other>Scaled", ScaledDense);
    expect((await keras.models.loadModel(path, { registry })).getLayer("scaled")).toBeInstanceOf(ScaledDense);
    // Per-call customObjects win over the registry.
    class Other extends ScaledDense {}
    const loaded = await keras.models.loadModel(path, { registry, customObjects: { "Other>Scaled": Other } });
    expect(loaded.getLayer("scaled")).toBeInstanceOf(Other);
  });
});
