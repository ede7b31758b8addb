import type { Store } from "@kerastore/core";
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
