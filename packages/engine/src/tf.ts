import * as tf from "@tensorflow/tfjs-core";

/**
 * The tfjs-core namespace the engine's tensors come from, so that callers build inputs and
 * custom layers with the very same tfjs instance (and backend).
 */
export { tf };
