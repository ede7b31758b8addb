import { CheckpointError, type RestoreStatus } from "@kerastore/checkpoint";
import { cannot } from "@kerastore/core";

/**
 * The status of a restore into a tree that names some variables twice (the Keras 3 aliases
 * of `toCheckpointTree`), with each unmatched variable listed once; the assertions behave as
 * the format package's.
 */
export function distinctStatus(status: RestoreStatus): RestoreStatus {
  const unusedKeys = [...new Set(status.unusedKeys)];
  const unmatchedVariables = [...new Set(status.unmatchedVariables)];
  const fail = (what: string, items: readonly string[]): never => {
    const shown = items.slice(0, 8).join(", ") + (items.length > 8 ? `, and ${items.length - 8} more` : "");
    throw new CheckpointError("mismatch", cannot("restore", "the checkpoint", `${what}: ${shown}`));
  };
  const distinct: RestoreStatus = {
    unusedKeys,
    unmatchedVariables,
    assertConsumed() {
      if (unusedKeys.length > 0) fail("some checkpoint values went to no object", unusedKeys);
      if (unmatchedVariables.length > 0) fail("some variables got no value", unmatchedVariables);
      return distinct;
    },
    assertExistingObjectsMatched() {
      if (unmatchedVariables.length > 0) fail("some variables got no value", unmatchedVariables);
      return distinct;
    },
    assertNontrivialMatch() {
      status.assertNontrivialMatch();
      return distinct;
    },
    expectPartial() {
      return distinct;
    },
  };
  return distinct;
}
