import { CoreError } from "@kerastore/core";
import { FacadeError } from "../errors.js";
import {
  type FormatLocation,
  isModelReader,
  isModelWriter,
  type ModelFormat,
  type ModelReader,
  type ModelWriter,
} from "./format.js";

/**
 * The set of formats the facade and the CLI choose from. Built-in formats are added to it
 * exactly as a user's are; nothing is installed implicitly.
 */
export interface FormatRegistry {
  /** Every format, in registration order. */
  readonly formats: readonly ModelFormat[];
  /**
   * Adds a format; one with the same name as an earlier one replaces it (in its place, so a
   * replacement of a built-in format is tried where the built-in one was).
   */
  add(format: ModelFormat): void;
  /** The reader named `name`, or a typed error listing the readers. */
  reader(name: string): ModelReader;
  /** The writer named `name`, or a typed error listing the writers. */
  writer(name: string): ModelWriter;
  /** The writer whose extension is the longest match for `path`, if any. */
  writerByExtension(path: string): ModelWriter | undefined;
  /**
   * The reader of an existing file or directory: first by its content (magic bytes, directory
   * layout), then by extension. Content wins, so an HDF5 file named `.keras` loads as H5.
   */
  detect(location: FormatLocation): Promise<ModelReader>;
  /** The writer for `path`: the explicit name, else by extension, else the one named `fallback`. */
  forWriting(path: string, explicit: string | undefined, fallback: string): ModelWriter;
}

/** Bytes read from the start of a file to recognize it. */
const SNIFF_BYTES = 512;

/** Makes a registry holding `formats` (none are installed implicitly). */
export function createFormatRegistry(formats: readonly ModelFormat[] = []): FormatRegistry {
  const list: ModelFormat[] = [];
  const readers = () => list.filter(isModelReader);
  const writers = () => list.filter(isModelWriter);
  const registry: FormatRegistry = {
    get formats() {
      return list;
    },
    add(format) {
      if (!isModelReader(format) && !isModelWriter(format)) {
        const name = typeof (format as { name?: unknown }).name === "string" ? (format as { name: string }).name : "?";
        throw new FacadeError(
          "invalid-argument",
          `cannot add format "${name}": it has neither read() nor plan() and write()`,
        );
      }
      const i = list.findIndex((f) => f.name === format.name);
      if (i >= 0) list.splice(i, 1, format);
      else list.push(format);
    },
    reader(name) {
      const found = readers().find((f) => f.name === name);
      if (found === undefined) throw unknown(name, "read", readers());
      return found;
    },
    writer(name) {
      const found = writers().find((f) => f.name === name);
      if (found === undefined) throw unknown(name, "write", writers());
      return found;
    },
    writerByExtension(path) {
      return longestExtensionMatch(writers(), path);
    },
    async detect(location) {
      const { store, path } = location;
      const candidates = readers();
      if (await isFile(location)) {
        const size = await store.size(path);
        const head = await store.readRange(path, 0, Math.min(SNIFF_BYTES, size));
        const sniffed = candidates.filter((f) => f.sniff?.(head) === true);
        if (sniffed.length > 0) {
          // Several formats may share a container (legacy H5 and .weights.h5 are both HDF5):
          // the extension decides between them, then registration order.
          const byExt = longestExtensionMatch(sniffed, path);
          return byExt ?? sniffed[0]!;
        }
      }
      for (const format of candidates) {
        if (format.sniffLocation !== undefined && (await format.sniffLocation(location))) return format;
      }
      const byExt = longestExtensionMatch(candidates, path);
      if (byExt !== undefined && (await store.exists(path))) return byExt;
      // Nothing by that name, and no format claims it as a location (a checkpoint prefix is not a file).
      if (!(await store.exists(path))) {
        throw new FacadeError("not-found", `cannot open ${describe(location)}: no such file or directory`, { path });
      }
      throw new FacadeError(
        "unknown-format",
        `cannot recognize ${describe(location)}: it is none of ${candidates.map((f) => f.name).join(", ")} ` +
          "(checked its first bytes, its layout and its extension)",
        { path },
      );
    },
    forWriting(path, explicit, fallback) {
      if (explicit !== undefined) return registry.writer(explicit);
      return registry.writerByExtension(path) ?? registry.writer(fallback);
    },
  };
  for (const format of formats) registry.add(format);
  return registry;
}

function longestExtensionMatch<F extends ModelFormat>(list: readonly F[], path: string): F | undefined {
  const lower = path.toLowerCase();
  let best: F | undefined;
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
}

/** Formats Kerastore ships as separate packages, by format name: what to install for each. */
const PLUG_IN_PACKAGES: Readonly<Record<string, string>> = { tfjs: "@kerastore/tfjs-layers-format" };

function unknown(name: string, verb: "read" | "write", known: readonly ModelFormat[]): FacadeError {
  const names = known.map((f) => f.name).join(", ");
  const pkg = PLUG_IN_PACKAGES[name];
  const install = pkg === undefined ? "" : ` ("${name}" comes with the ${pkg} package: install it beside kerastore)`;
  return new FacadeError(
    "unknown-format",
    `cannot use format "${name}": no format by that name can ${verb}; those that can are ${names}${install}`,
  );
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
  const root = location.store.description;
  if (root === "memory") return location.path;
  // A store rooted at "/" names its files "/x", not "//x".
  return root.endsWith("/") ? `${root}${location.path}` : `${root}/${location.path}`;
}
