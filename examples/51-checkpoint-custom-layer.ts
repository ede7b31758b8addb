// The guide's "格式详情": keys are named by the attribute a parent uses, not by the variable's own
// name. CustomLayer keeps `var` (named var_a in Python), and tf.train.Checkpoint(layer=layer)
// .save("custom_layer") gives the keys get_variable_to_dtype_map() prints.
import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadCheckpoint } from "@kerastore/checkpoint";
import { NodeStore } from "@kerastore/core/node";
import { Layer, type Variable } from "@kerastore/engine";
import { keras } from "kerastore";

class CustomLayer extends Layer {
  readonly var: Variable;
  constructor(a: number) {
    super();
    this.var = this.addWeight({ name: "var", shape: [], dtype: "int32", initializer: "zeros" });
    this.var.assign(Int32Array.of(a));
  }
}

export async function main(): Promise<void> {
  await keras.ready();
  const dir = await mkdtemp(join(tmpdir(), "kerastore-example-"));
  try {
    const layer = new CustomLayer(5);
    const layerCkpt = await new keras.Checkpoint({ layer }).save(join(dir, "custom_layer"));
    strictEqual(layerCkpt, join(dir, "custom_layer-1"));

    const ckptReader = await loadCheckpoint(new NodeStore(dir), "custom_layer-1");
    deepStrictEqual(Object.fromEntries(ckptReader.variableToDtypeMap()), {
      "save_counter/.ATTRIBUTES/VARIABLE_VALUE": "int64",
      _CHECKPOINTABLE_OBJECT_GRAPH: "string",
      "layer/var/.ATTRIBUTES/VARIABLE_VALUE": "int32",
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
