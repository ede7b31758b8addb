/**
 * The package entry for Node (the `node` export condition): everything `index.ts` exports, with
 * the local disk installed as the file system, so string targets are file paths (`http(s)://`
 * URLs still load over fetch).
 */
import { setFileSystem } from "./file-system.js";
import { nodeFileSystem } from "./node-file-system.js";

export * from "./index.js";
// Node keeps the graph runner's kernel table and TensorList at hand as before; a browser bundle
// imports them from @kerastore/savedmodel-lowering (the facade loads that package lazily).
export { TensorList, tfjsKernels } from "@kerastore/savedmodel-lowering";

setFileSystem(nodeFileSystem);
