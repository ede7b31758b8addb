/**
 * The package entry for Node (the `node` export condition): everything `index.ts` exports, with
 * the local disk installed as the file system, so string targets are file paths (`http(s)://`
 * URLs still load over fetch).
 */
import { setFileSystem } from "./file-system.js";
import { nodeFileSystem } from "./node-file-system.js";

export * from "./index.js";

setFileSystem(nodeFileSystem);
