import { MemoryStore } from "@kerastore/core";
import { readFixture } from "@kerastore/fixtures";

/** The files of a committed SavedModel fixture, in a MemoryStore under `saved_model/`. */
export function fixtureStore(name: string, pb?: Uint8Array): MemoryStore {
  const files = ["saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"];
  return new MemoryStore(
    Object.fromEntries(
      files.map((f) => [
        `saved_model/${f}`,
        f === "saved_model.pb" && pb !== undefined ? pb : readFixture("savedmodel", name, "saved_model", f),
      ]),
    ),
  );
}
