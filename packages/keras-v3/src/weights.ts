import { type JsonObject, type RandomAccessSource, type SavedModelData, type SavedNode, cannot } from "@kerastore/core";
import { keras3EntriesToTree, keras3WeightsH5Chunks, readKeras3WeightsH5 } from "@kerastore/h5";
import { KerasV3Error } from "./errors.js";
import { attachConfig } from "./weights-config.js";

/**
 * Turns the archive's weights member into the saved object tree.
 *
 * `.weights.h5` is read by `@kerastore/h5`; the walk paths it holds (`layers/dense/vars/0`) are
 * matched to the layers of `config` so each node carries its class, name and config.
 * `model.weights.npz` (Keras's `weights_format="npz"`) stores each object's variables as a
 * pickled dict, which Kerastore refuses to unpickle.
 */
export async function decodeWeights(
  bytes: Uint8Array | RandomAccessSource,
  format: "h5" | "npz",
  config: JsonObject,
  where: string,
  values: "eager" | "lazy" = "eager",
): Promise<SavedNode> {
  if (format === "npz") {
    throw new KerasV3Error(
      "invalid-weights",
      cannot(
        "read",
        where,
        "npz weights hold pickled Python dicts, which are not read (unpickling runs code)",
        'save the model with weights_format="h5"',
      ),
      { path: where },
    );
  }
  return decodeH5Weights(bytes, config, where, values);
}

/** Encodes the tree's weights as Keras 3 `.weights.h5` chunks (tensor bytes are not copied). */
export async function encodeWeights(data: SavedModelData, where: string): Promise<Uint8Array[]> {
  return encodeH5Weights(data, where);
}

async function decodeH5Weights(
  bytes: Uint8Array | RandomAccessSource,
  config: JsonObject,
  where: string,
  values: "eager" | "lazy",
): Promise<SavedNode> {
  let entries: Awaited<ReturnType<typeof readKeras3WeightsH5>>;
  try {
    entries = await readKeras3WeightsH5(bytes, { name: where, values });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new KerasV3Error("invalid-weights", cannot("read", where, reason), { path: where, cause: error });
  }
  const root = keras3EntriesToTree(entries);
  attachConfig(root, config);
  return root;
}

async function encodeH5Weights(data: SavedModelData, where: string): Promise<Uint8Array[]> {
  try {
    return keras3WeightsH5Chunks(data, { name: where });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new KerasV3Error("invalid-weights", cannot("write", where, reason), { path: where, cause: error });
  }
}
