import { fromBinary } from "@bufbuild/protobuf";
import { type Store, cannot, joinPath } from "@kerastore/core";
import { SavedModelError } from "./errors.js";
import { SavedMetadataSchema } from "./gen/saved_metadata_pb.js";

/** `keras_metadata.pb`, beside `saved_model.pb` in Keras 2 SavedModels. */
export const KERAS_METADATA_PB = "keras_metadata.pb";

/** One entry of `keras_metadata.pb`: a Keras object of the SavedObjectGraph and its JSON metadata. */
export interface KerasObjectMetadata {
  readonly nodeId: number;
  /** `root`, `root.layer-0`, ... */
  readonly nodePath: string;
  /** `_tf_keras_network`, `_tf_keras_layer`, ... */
  readonly identifier: string;
  /** The JSON metadata string (unparsed). */
  readonly metadata: string;
}

/**
 * Reads `dir/keras_metadata.pb` (Keras 2's SavedMetadata), or undefined when the SavedModel
 * has none (`model.export`, `tf.saved_model.save`).
 */
export async function readKerasMetadata(store: Store, dir: string): Promise<KerasObjectMetadata[] | undefined> {
  const path = joinPath(dir, KERAS_METADATA_PB);
  if (!(await store.exists(path))) return undefined;
  try {
    return fromBinary(SavedMetadataSchema, await store.read(path)).nodes.map((n) => ({
      nodeId: n.nodeId,
      nodePath: n.nodePath,
      identifier: n.identifier,
      metadata: n.metadata,
    }));
  } catch (error) {
    throw new SavedModelError("corrupt", cannot("decode", `${store.description}/${path}`, String(error)), {
      path,
      cause: error,
    });
  }
}
