// tfjs-core's Node entry (dist/tf-core.node.js) registers no gradients; the union package
// @tensorflow/tfjs loads them with this import. The registries and the engine live on
// globalThis, so the ES-module copy it loads registers into the same ones our ops use.
// Training cannot work without them, hence the side-effect import here rather than an
// explicit call: it is tfjs's own registration, not ours.
import "@tensorflow/tfjs-core/dist/register_all_gradients.js";

/** True once tfjs's gradient functions are registered (always, after this module loads). */
export const gradientsRegistered = true;
