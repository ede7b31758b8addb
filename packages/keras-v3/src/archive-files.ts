import {
  type RandomAccessSource,
  type Store,
  cannot,
  isRandomAccessSource,
  joinPath,
  openSource,
  subSource,
} from "@kerastore/core";
import { type ByteSource, bytesSource, storeSource } from "./byte-source.js";
import { KerasV3Error } from "./errors.js";
import { unsafeMemberNameReason } from "./member-name.js";
import { memberDataOffset, readZipDirectory, readZipMember } from "./zip-read.js";
import { type ZipLimits, defaultZipLimits } from "./zip-limits.js";

/**
 * The files of a `.keras` archive, zipped or unzipped (the directory form), behind one interface.
 *
 * Member names are checked safe (relative, no `..`, no backslash or drive letter) and unique
 * when the archive is opened; bytes are read, size-checked and CRC-checked only when asked for.
 */
export interface KerasArchiveFiles {
  /** What was opened, for error messages. */
  readonly description: string;
  /** `zip` for a `.keras` file, `directory` for the unzipped form. */
  readonly form: "zip" | "directory";
  /** The file names (not directories), in archive order (sorted for a directory). */
  readonly names: readonly string[];
  /** The uncompressed size of a member, as declared. */
  sizeOf(name: string): number;
  /** Reads one member; rejects with `missing-member` when absent. */
  read(name: string): Promise<Uint8Array>;
  /**
   * One member as a random-access source, read in place: a stored (not compressed) zip member
   * is a range of the archive, a directory's file is opened by range. Undefined for a deflated
   * member, which can only be inflated whole (`read`). The CRC-32 of a member read in place is
   * not checked (its bytes are never all read at once), as Python's zipfile does for seeks.
   */
  source(name: string): Promise<RandomAccessSource | undefined>;
  /** Closes what the archive holds open (a file handle); sources from `source` stop working. */
  close(): Promise<void>;
}

/** Options for opening an archive. */
export interface OpenArchiveOptions {
  /** With a Store: the `.keras` file or the directory inside it. Default: the store's root directory. */
  readonly path?: string | undefined;
  /** Caps on declared sizes (zip-bomb guards); merged over `defaultZipLimits`. */
  readonly limits?: Partial<ZipLimits> | undefined;
  /** Check every member's CRC-32. Default true. */
  readonly verifyCrc?: boolean | undefined;
  /** A name for the bytes in error messages (a file path). Default `archive bytes`. */
  readonly name?: string | undefined;
}

const MAX_DIRECTORY_FILES = 65_536;
const MAX_DIRECTORY_DEPTH = 32;

/** Opens a `.keras` archive from bytes, or from a Store (a `.keras` file or an unzipped directory). */
export async function openKerasArchive(
  input: Uint8Array | Store | RandomAccessSource,
  options: OpenArchiveOptions = {},
): Promise<KerasArchiveFiles> {
  const limits: ZipLimits = { ...defaultZipLimits, ...options.limits };
  if (input instanceof Uint8Array) return openZip(bytesSource(input, options.name ?? "archive bytes"), limits, options);
  if (isRandomAccessSource(input)) return openZip(input, limits, options);
  const path = joinPath(options.path ?? "");
  if (path === "" || (await input.isDirectory(path))) return openDirectory(input, path, limits);
  const source = await storeSource(input, path);
  try {
    return await openZip(source, limits, options);
  } catch (error) {
    await source.close();
    throw error;
  }
}

async function openZip(source: ByteSource, limits: ZipLimits, options: OpenArchiveOptions): Promise<KerasArchiveFiles> {
  const dir = await readZipDirectory(source, limits);
  const files = dir.entries.filter((e) => !e.isDirectory);
  return {
    description: source.description,
    form: "zip",
    names: files.map((e) => e.name),
    sizeOf: (name) => dir.byName.get(name)?.size ?? missing(source.description, name),
    read: async (name) => {
      const entry = dir.byName.get(name);
      if (entry === undefined || entry.isDirectory) return missing(source.description, name);
      return readZipMember(dir, entry, { verifyCrc: options.verifyCrc !== false });
    },
    source: async (name) => {
      const entry = dir.byName.get(name);
      if (entry === undefined || entry.isDirectory) return missing(source.description, name);
      if (entry.method !== 0) return undefined;
      if (entry.compressedSize !== entry.size) {
        throw new KerasV3Error(
          "corrupt",
          cannot(
            "read",
            `member "${name}" of ${source.description}`,
            `it is stored with ${entry.compressedSize} bytes but declares ${entry.size}`,
          ),
          {
            path: `${source.description}!${name}`,
          },
        );
      }
      return subSource(source, await memberDataOffset(dir, entry), entry.size, `${source.description}!${name}`);
    },
    close: () => source.close(),
  };
}

async function openDirectory(store: Store, root: string, limits: ZipLimits): Promise<KerasArchiveFiles> {
  const description = root === "" ? store.description : `${store.description}/${root}`;
  const sizes = new Map<string, number>();
  let total = 0;
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > MAX_DIRECTORY_DEPTH) {
      throw new KerasV3Error(
        "corrupt",
        cannot(
          "read archive directory",
          description,
          `"${rel}" is nested more than ${MAX_DIRECTORY_DEPTH} levels deep`,
        ),
        { path: description },
      );
    }
    for (const name of await store.list(joinPath(root, rel))) {
      const child = rel === "" ? name : `${rel}/${name}`;
      const unsafe = unsafeMemberNameReason(child);
      if (unsafe !== undefined) {
        throw new KerasV3Error(
          "unsafe-member-name",
          cannot("read archive directory", description, `"${child}": ${unsafe}`),
          { path: description },
        );
      }
      if (await store.isDirectory(joinPath(root, child))) {
        await walk(child, depth + 1);
        continue;
      }
      const size = await store.size(joinPath(root, child));
      if (size > limits.maxMemberSize) {
        throw new KerasV3Error(
          "zip-bomb",
          cannot(
            "read archive directory",
            description,
            `"${child}" has ${size} bytes, more than the limit ${limits.maxMemberSize}`,
          ),
          { path: description },
        );
      }
      total += size;
      sizes.set(child, size);
      if (sizes.size > MAX_DIRECTORY_FILES || total > limits.maxTotalSize) {
        throw new KerasV3Error(
          "zip-bomb",
          cannot("read archive directory", description, "it holds more files or bytes than the limits allow"),
          { path: description },
        );
      }
    }
  };
  await walk("", 0);
  return {
    description,
    form: "directory",
    names: [...sizes.keys()].sort(),
    sizeOf: (name) => sizes.get(name) ?? missing(description, name),
    read: async (name) => (sizes.has(name) ? store.read(joinPath(root, name)) : missing(description, name)),
    source: async (name) => (sizes.has(name) ? openSource(store, joinPath(root, name)) : missing(description, name)),
    close: async () => undefined,
  };
}

function missing(description: string, name: string): never {
  throw new KerasV3Error(
    "missing-member",
    cannot("read", `member "${name}" of ${description}`, "the archive has no such member"),
    {
      path: `${description}!${name}`,
    },
  );
}
