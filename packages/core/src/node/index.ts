export { NodeStore, storeForFile } from "./node-store.js";
