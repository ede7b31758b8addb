import { type Store, readThroughPendingSaves } from "@kerastore/core";
import { storeForFile } from "@kerastore/core/node";
import type { FormatLocation } from "./formats/format.js";

/** Where to load from or save to: a path on this machine, or a path inside any Store. */
export type Target = string | FormatLocation;

/** Turns a user's target into a store location (a local path opens its directory as a NodeStore). */
export function locate(target: Target): FormatLocation {
  if (typeof target !== "string") return target;
  const { store, name } = storeForFile(target);
  return { store: store as Store, path: name };
}

/** How a location reads in messages. */
export function describeLocation(location: FormatLocation): string {
  return location.store.description === "memory" ? location.path : `${location.store.description}/${location.path}`;
}

/**
 * A target opened for reading: when a multi-file save there was killed after its commit point,
 * its new files are read (see `writeFileSet`), never a mix of old and new.
 */
export async function locateForRead(target: Target): Promise<FormatLocation> {
  const location = locate(target);
  return { store: await readThroughPendingSaves(location.store, location.path), path: location.path };
}
