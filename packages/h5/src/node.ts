/**
 * The package entry for Node (the `node` export condition): everything `index.ts` exports, with
 * h5wasm's Emscripten factory loaded from its file, so a fresh HDF5 module replaces one that
 * trapped and HDF5's own diagnostics reach our error messages.
 */
import { type Factory, setFactoryLoader } from "./hdf5-runtime.js";

export * from "./index.js";

/** The Emscripten factory file beside h5wasm's entry: a fresh module per call. */
async function loadFactoryFile(): Promise<Factory> {
  // h5wasm's package exports only its high-level wrapper, which instantiates one module at
  // import and cannot replace it after a trap. The Emscripten factory beside it builds a fresh
  // module with an in-memory file system each time we ask, so we load that file directly.
  const hl = import.meta.resolve("h5wasm");
  const mod = (await import(new URL("./hdf5_util.js", hl).href)) as { default: Factory };
  return mod.default;
}

setFactoryLoader(loadFactoryFile);
