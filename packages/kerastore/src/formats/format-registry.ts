import { CoreError } from "@kerastore/core";
import { FacadeError } from "../errors.js";
import type { FormatLocation, ModelFormat } from "./format.js";

/** The set of formats the facade chooses from. */
export interface FormatRegistry {
  /** Every format, in registration order. */
  readonly formats: readonly ModelFormat[];
  /** Adds a format; a later format with the same name replaces the earlier one. */
  add(format: ModelFormat): void;
  /** The format named `name`, or a typed error listing the known names. */
  get(name: string): ModelFormat;
  /** The format whose extension is the longest match for `path`, if any. */
  byExtension(path: string): ModelFormat | undefined;
  /**
   * The format of an existing file or directory: first by its content (magic bytes, directory
   * layout), then by extension. Content wins, so an HDF5 file named `.keras` loads as H5.
   */
  detect(location: FormatLocation): Promise<ModelFormat>;
  /** The format to write `path` in: the explicit name, else by extension, else `fallback`. */
  forWriting(path: string, explicit: string | undefined, fallback: string): ModelFormat;
}

/** Bytes read from the start of a file to recognize it. */
const SNIFF_BYTES = 512;

/** Makes a registry holding `formats` (none are installed implicitly). */
export function createFormatRegistry(formats: readonly ModelFormat[] = []): FormatRegistry {
  const list: ModelFormat[] = [];
  const registry: FormatRegistry = {
    get formats() {
      return list;
    },
    add(format) {
      const i = list.findIndex((f) => f.name === format.name);
      if (i >= 0) list.splice(i, 1, format);
      else list.push(format);
    },
    get(name) {
      const found = list.find((f) => f.name === name);
      if (found === undefined) {
        throw new FacadeError(
          "unknown-format",
          `cannot use format "${name}": no such format; known formats are ${list.map((f) => f.name).join(", ")}`,
        );
      }
      return found;
    },
    byExtension(path) {
      const lower = path.toLowerCase();
      let best: ModelFormat | undefined;
      let bestLength = 0;
      for (const format of list) {
        for (const ext of format.extensions) {
          if (lower.endsWith(ext) && ext.length > bestLength) {
            best = format;
            bestLength = ext.length;
          }
        }
      }
      return best;
    },
    async detect(location) {
      const { store, path } = location;
      if (await isFile(location)) {
        const size = await store.size(path);
        const head = await store.readRange(path, 0, Math.min(SNIFF_BYTES, size));
        const sniffed = list.filter((f) => f.sniff?.(head) === true);
        if (sniffed.length > 0) {
          // Several formats may share a container (legacy H5 and .weights.h5 are both HDF5):
          // the extension decides between them, then registration order.
          const byExt = registry.byExtension(path);
          return byExt !== undefined && sniffed.includes(byExt) ? byExt : sniffed[0]!;
        }
      }
      for (const format of list) {
        if (format.sniffLocation !== undefined && (await format.sniffLocation(location))) return format;
      }
      const byExt = registry.byExtension(path);
      if (byExt !== undefined && (await store.exists(path))) return byExt;
      // Nothing by that name, and no format claims it as a location (a checkpoint prefix is not a file).
      if (!(await store.exists(path))) {
        throw new FacadeError("not-found", `cannot open ${describe(location)}: no such file or directory`, { path });
      }
      throw new FacadeError(
        "unknown-format",
        `cannot recognize ${describe(location)}: it is none of ${list.map((f) => f.name).join(", ")} ` +
          "(checked its first bytes, its layout and its extension)",
        { path },
      );
    },
    forWriting(path, explicit, fallback) {
      if (explicit !== undefined) return registry.get(explicit);
      return registry.byExtension(path) ?? registry.get(fallback);
    },
  };
  for (const format of formats) registry.add(format);
  return registry;
}

async function isFile(location: FormatLocation): Promise<boolean> {
  try {
    return (await location.store.exists(location.path)) && !(await location.store.isDirectory(location.path));
  } catch (error) {
    if (error instanceof CoreError) return false;
    throw error;
  }
}

function describe(location: FormatLocation): string {
  return location.store.description === "memory" ? location.path : `${location.store.description}/${location.path}`;
}
