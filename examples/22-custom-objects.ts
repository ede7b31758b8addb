// The guide's custom layer and custom activation (自定义对象 / 注册自定义对象 / 在内存中克隆模型):
// a model with both, rebuilt from its config inside customObjectScope, and cloned.
import { deepStrictEqual, notDeepStrictEqual, throws } from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "@kerastore/core";
import {
  Activation,
  Input,
  Layer,
  Model,
  type Shape,
  type Variable,
  clearSession,
  cloneModel,
  customObjectScope,
  initBackend,
  modelFromJson,
  tf,
} from "@kerastore/engine";
import { keras, saveModel } from "kerastore";

class CustomLayer extends Layer {
  readonly units: number;
  w: Variable | undefined;
  constructor(args: { units?: number; name?: string } = {}) {
    super(args);
    this.units = args.units ?? 32;
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
    return tf.matMul(inputs as tf.Tensor2D, this.w!.value as tf.Tensor2D);
  }
  override getConfig(): JsonObject {
    return { ...super.getConfig(), units: this.units };
  }
  static override fromConfig<T extends Layer>(this: new (args: never) => T, config: JsonObject): T {
    return new this({ units: config.units, name: config.name } as never);
  }
}

// The activation's config name is the function's name, as Keras uses __name__.
function custom_activation(x: tf.Tensor): tf.Tensor {
  return tf.sigmoid(x);
}

export async function main(): Promise<void> {
  await initBackend();
  clearSession();
  const inputs = Input({ shape: [32] });
  const x = new CustomLayer({ units: 32 }).apply(inputs);
  const outputs = new Activation({ activation: custom_activation }).apply(x);
  const model = new Model({ inputs, outputs });
  const json = model.toJson();

  // Without the custom objects the class is unknown, and the error says how to fix it.
  throws(() => modelFromJson(json), /pass it in customObjects/);

  const customObjects = { CustomLayer, custom_activation };
  const newModel = customObjectScope(customObjects, () => modelFromJson(json));
  deepStrictEqual(JSON.parse(newModel.toJson()), JSON.parse(json));
  newModel.setWeights(model.getWeights());
  const probe = tf.randomNormal([3, 32]);
  deepStrictEqual(Array.from(newModel.apply(probe).dataSync()), Array.from(model.apply(probe).dataSync()));

  // clone_model: same config, fresh weights.
  const clone = customObjectScope(customObjects, () => cloneModel(model));
  deepStrictEqual(clone.toConfig(), model.toConfig());
  notDeepStrictEqual(
    Array.from(clone.weights[0]!.read().data as Float32Array),
    Array.from(model.weights[0]!.read().data as Float32Array),
  );

  // The guide's `with custom_object_scope(...): load_model(path)`: the scope holds across the
  // async load's awaits.
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-22-"));
  try {
    await saveModel(model, join(dir, "custom.keras"));
    const loaded = await customObjectScope(customObjects, () => keras.models.loadModel(join(dir, "custom.keras")));
    deepStrictEqual(Array.from(loaded.apply(probe).dataSync()), Array.from(model.apply(probe).dataSync()));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
