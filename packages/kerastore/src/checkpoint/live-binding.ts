// Live objects as a saved tree live in the engine beside the one weight matcher.
export {
  type CheckpointOptimizer,
  type CheckpointOptimizerVariable,
  LiveBinding,
  isCheckpointOptimizer,
  optimizerOf,
} from "@kerastore/engine";
