export { NodeStore, storeForFile, syncDirectory } from "./node-store.js";
