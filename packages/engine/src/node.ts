/**
 * The package entry for Node (the `node` export condition): everything `index.ts` exports, plus
 * `defaultWasmDir`, with the Node runtime hooks installed (the `.wasm` files found on disk,
 * tfjs-core's ES modules loadable by plain Node).
 */
import { nodeRuntimeHooks } from "./node-runtime.js";
import { setRuntimeHooks } from "./runtime-hooks.js";

export * from "./index.js";
export { defaultWasmDir } from "./node-runtime.js";

setRuntimeHooks(nodeRuntimeHooks);
