// The package entry plus a helper the shard tests need.
export * from "./node.js";
export { concatChunks as concatShards } from "./write-backend.js";
