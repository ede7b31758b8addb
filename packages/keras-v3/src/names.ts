/** The member names of a `.keras` archive, as Keras's saving_lib spells them. */
export const METADATA_FILE = "metadata.json";
export const CONFIG_FILE = "config.json";
export const WEIGHTS_H5 = "model.weights.h5";
export const WEIGHTS_NPZ = "model.weights.npz";
export const ASSETS_DIR = "assets";
/** The Keras version our archives record unless told otherwise: the dialect we write. */
export const DEFAULT_KERAS_VERSION = "3.15.1";
/** The `SavedNode.extras` key under which the reader keeps `config.json`'s original text. */
export const CONFIG_TEXT_EXTRA = "keras3ConfigJson";
