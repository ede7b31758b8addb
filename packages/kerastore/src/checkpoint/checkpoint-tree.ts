// The checkpoint object graph lives in the engine beside the one weight matcher.
export { type CheckpointTreeOptions, toCheckpointTree } from "@kerastore/engine";
