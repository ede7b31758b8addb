import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "@kerastore/core";
import { Layer, tf } from "@kerastore/engine";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keras } from "./node.js";

// The guide's `with custom_object_scope(...): load_model(path)`, in TypeScript, where the load is
// async: the scope must still be open when the load, after reading the file, builds the layers.
class Doubler extends Layer {
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.mul(inputs as tf.Tensor, 2);
  }
  static override fromConfig<T extends Layer>(this: new (args: never) => T, config: JsonObject): T {
    return new this({ name: config.name } as never);
  }
}

let dir: string;
beforeAll(async () => {
  await keras.ready();
  dir = await mkdtemp(join(tmpdir(), "kerastore-scope-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function saved(ext: string): Promise<string> {
  const inputs = keras.Input({ shape: [2] });
  const model = new keras.Model({ inputs, outputs: new Doubler({ name: "doubler" }).apply(inputs) });
  const path = join(dir, `doubler.${ext}`);
  await model.save(path);
  return path;
}

describe("customObjectScope around an async load", () => {
  it.each(["keras", "h5"])("keeps the scope across the load's awaits (.%s)", async (ext) => {
    const path = await saved(ext);
    await expect(keras.models.loadModel(path)).rejects.toThrow(/unknown layer class "Doubler"/);
    const model = await keras.utils.customObjectScope({ Doubler }, () => keras.models.loadModel(path));
    expect(model.getLayer("doubler")).toBeInstanceOf(Doubler);
    // Closed once the load is done.
    await expect(keras.models.loadModel(path)).rejects.toThrow(/unknown layer class "Doubler"/);
  });

  it("scopes concurrent loads apart: one in a scope, one outside, at the same time", async () => {
    const path = await saved("keras");
    const [inside, outside] = await Promise.allSettled([
      keras.utils.customObjectScope({ Doubler }, () => keras.models.loadModel(path)),
      keras.models.loadModel(path),
    ]);
    expect(inside.status).toBe("fulfilled");
    expect(outside.status).toBe("rejected");
  });

  it("nests: the inner scope adds to the outer one, and sync use works as before", async () => {
    const path = await saved("keras");
    class Other extends Doubler {}
    const model = await keras.utils.customObjectScope({ Doubler }, () =>
      keras.utils.customObjectScope({ Other }, async () => {
        await new Promise((r) => setTimeout(r, 5));
        return keras.models.loadModel(path);
      }),
    );
    expect(model.getLayer("doubler")).toBeInstanceOf(Doubler);
    expect(keras.utils.customObjectScope({ a: () => 1 }, () => 42)).toBe(42);
    // The scope is a registry value, handed to the function.
    expect(keras.utils.customObjectScope({ Other }, (registry) => registry.get("Other"))).toBe(Other);
  });
});
