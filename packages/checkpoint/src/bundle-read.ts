import { fromBinary } from "@bufbuild/protobuf";
import { type DType, type HostTensor, type Store, bytesOf, cannot, sizeOf, utf8Decode } from "@kerastore/core";
import { crc32c, unmaskCrc } from "./crc32c.js";
import { CheckpointError } from "./errors.js";
import { dataFileName, indexFileName } from "./file-names.js";
import { dtypeOfTf, tfDataTypeName } from "./dtypes.js";
import { type BundleEntryProto, BundleEntryProtoSchema, BundleHeaderProtoSchema } from "./gen/tensor_bundle_pb.js";
import { readTable } from "./sstable-read.js";
import { decodeTensor, encodeTensor, expectedSize } from "./tensor-bytes.js";

/** Where one tensor lives in a bundle, as its `.index` entry says. */
export interface BundleEntry {
  /** The checkpoint key. */
  readonly key: string;
  /** The dtype, or undefined when TensorFlow's `DataType` has no Kerastore dtype. */
  readonly dtype: DType | undefined;
  /** TensorFlow's `DataType` number. */
  readonly tfDtype: number;
  readonly shape: readonly number[];
  readonly shardId: number;
  readonly offset: number;
  readonly size: number;
  /** The masked CRC32C stored for the bytes. */
  readonly crc32c: number;
  /** True for a partitioned variable's full entry (its slices live under other keys). */
  readonly sliced: boolean;
}

/** An opened tensor bundle: the parsed `.index`, ready to read tensors from its shards. */
export interface TensorBundle {
  readonly store: Store;
  readonly prefix: string;
  readonly numShards: number;
  /** Entries by key, in key order (the header `""` excluded). */
  readonly entries: ReadonlyMap<string, BundleEntry>;
  /** Shard file sizes, filled as shards are first read. */
  readonly shardSizes: Map<number, number>;
}

/** Options for reading tensors. */
export interface ReadTensorOptions {
  /** Verify each tensor's CRC32C (default true). */
  readonly verifyCrc?: boolean;
}

/** A bundle declaring more shards than this is refused as corrupt. */
const MAX_SHARDS = 1 << 20;
/** An `.index` larger than this is refused before it is read (real ones hold ~100 bytes a tensor). */
const MAX_INDEX_BYTES = 1 << 30;
/** A tensor with more dimensions than this is refused (TensorFlow's limit is 254). */
const MAX_RANK = 254;

/**
 * Opens the tensor bundle at `prefix` (reads and checks `prefix.index`; no tensor data yet).
 */
export async function openBundle(store: Store, prefix: string): Promise<TensorBundle> {
  const name = indexFileName(prefix);
  if (!(await store.exists(name))) {
    throw new CheckpointError("not-found", cannot("open checkpoint", prefix, `${name} does not exist`), { path: name });
  }
  const indexSize = await store.size(name);
  if (indexSize > MAX_INDEX_BYTES) {
    throw new CheckpointError(
      "corrupt",
      cannot("read", name, `it has ${indexSize} bytes; an index this large is not a checkpoint's`),
      {
        path: name,
      },
    );
  }
  const table = readTable(await store.read(name), name);
  const first = table[0];
  if (first === undefined || first.key.length !== 0) {
    throw new CheckpointError("corrupt", cannot("read", name, 'it has no bundle header (the "" key)'), { path: name });
  }
  const header = parse(() => fromBinary(BundleHeaderProtoSchema, first.value), name, "the bundle header");
  if (header.numShards < 1 || header.numShards > MAX_SHARDS) {
    throw new CheckpointError("corrupt", cannot("read", name, `the header declares ${header.numShards} shards`), {
      path: name,
    });
  }
  if (header.endianness !== 0) {
    throw new CheckpointError("unsupported", cannot("read", name, "it was written on a big-endian machine"), {
      path: name,
    });
  }
  if ((header.version?.minConsumer ?? 0) > 1) {
    throw new CheckpointError(
      "unsupported",
      cannot("read", name, `it needs bundle version ${header.version?.minConsumer}`),
      {
        path: name,
      },
    );
  }
  const entries = new Map<string, BundleEntry>();
  for (const { key: keyBytes, value } of table.slice(1)) {
    const key = utf8Decode(keyBytes);
    const where = `the entry of "${key}" in ${name}`;
    const proto = parse(() => fromBinary(BundleEntryProtoSchema, value), name, where);
    entries.set(key, toEntry(key, proto, header.numShards, where, name));
  }
  return { store, prefix, numShards: header.numShards, entries, shardSizes: new Map() };
}

function parse<T>(fn: () => T, name: string, what: string): T {
  try {
    return fn();
  } catch (error) {
    throw new CheckpointError("corrupt", cannot("decode", what, `not a valid protobuf message (${String(error)})`), {
      path: name,
      cause: error,
    });
  }
}

function toEntry(key: string, proto: BundleEntryProto, shards: number, where: string, name: string): BundleEntry {
  const fail = (reason: string): never => {
    throw new CheckpointError("corrupt", cannot("read", where, reason), { path: name });
  };
  const dims = proto.shape?.dim ?? [];
  if (proto.shape?.unknownRank) fail("its shape has unknown rank");
  if (dims.length > MAX_RANK) fail(`its shape has ${dims.length} dimensions`);
  const shape = dims.map((d) => {
    const n = Number(d.size);
    if (d.size < 0n || !Number.isSafeInteger(n)) fail(`its shape has a dimension of ${d.size}`);
    return n;
  });
  if (!Number.isSafeInteger(sizeOf(shape))) fail("its shape holds too many elements");
  const offset = Number(proto.offset);
  const size = Number(proto.size);
  if (proto.offset < 0n || !Number.isSafeInteger(offset)) fail(`its offset ${proto.offset} is not valid`);
  if (proto.size < 0n || !Number.isSafeInteger(size)) fail(`its size ${proto.size} is not valid`);
  if (proto.shardId < 0 || proto.shardId >= shards)
    fail(`its shard ${proto.shardId} is not among the ${shards} shards`);
  const dtype = dtypeOfTf(proto.dtype);
  const sliced = proto.slices.length > 0;
  if (dtype !== undefined && !sliced) {
    const expected = expectedSize(dtype, shape);
    if (expected !== undefined && expected !== size) fail(`it stores ${size} bytes for ${expected} bytes of ${dtype}`);
  }
  return {
    key,
    dtype,
    tfDtype: proto.dtype,
    shape,
    shardId: proto.shardId,
    offset,
    size,
    crc32c: proto.crc32c,
    sliced,
  };
}

/**
 * Reads one tensor of an opened bundle, checking its place against the shard's real size
 * before reading and its CRC32C after.
 */
export async function readBundleTensor(
  bundle: TensorBundle,
  key: string,
  options: ReadTensorOptions = {},
): Promise<HostTensor> {
  const entry = bundle.entries.get(key);
  if (entry === undefined) {
    throw new CheckpointError(
      "not-found",
      cannot("read", `"${key}"`, `the checkpoint ${bundle.prefix} has no such key`),
      {
        path: indexFileName(bundle.prefix),
      },
    );
  }
  const file = dataFileName(bundle.prefix, entry.shardId, bundle.numShards);
  const where = `"${key}" in ${file}`;
  if (entry.dtype === undefined) {
    throw new CheckpointError(
      "unsupported",
      cannot("read", where, `dtype ${tfDataTypeName(entry.tfDtype)} is not supported`),
      {
        path: file,
      },
    );
  }
  if (entry.sliced) {
    throw new CheckpointError(
      "unsupported",
      cannot("read", where, "partitioned (sliced) variables are not supported"),
      {
        path: file,
      },
    );
  }
  let shardSize = bundle.shardSizes.get(entry.shardId);
  if (shardSize === undefined) {
    if (!(await bundle.store.exists(file))) {
      throw new CheckpointError("not-found", cannot("read", where, "the data shard does not exist"), { path: file });
    }
    shardSize = await bundle.store.size(file);
    bundle.shardSizes.set(entry.shardId, shardSize);
  }
  if (entry.offset + entry.size > shardSize) {
    throw new CheckpointError(
      "corrupt",
      cannot("read", where, `it spans bytes ${entry.offset}..${entry.offset + entry.size} of a ${shardSize}-byte file`),
      { path: file },
    );
  }
  const bytes = await bundle.store.readRange(file, entry.offset, entry.size);
  return decodeEntry(entry, bytes, file, where, options);
}

function decodeEntry(
  entry: BundleEntry,
  bytes: Uint8Array,
  file: string,
  where: string,
  options: ReadTensorOptions,
): HostTensor {
  try {
    return decodeTensor(
      entry.dtype!,
      entry.shape,
      bytes,
      options.verifyCrc === false ? undefined : entry.crc32c,
      where,
    );
  } catch (error) {
    if (error instanceof CheckpointError) throw new CheckpointError(error.code, error.message, { path: file });
    throw error;
  }
}

/**
 * Reads several tensors in order, fetching the next one's bytes while the current one is
 * decoded and CRC-checked (the store reads on another thread, this one checksums).
 */
export async function* readBundleTensors(
  bundle: TensorBundle,
  keys: Iterable<string>,
  options: ReadTensorOptions = {},
): AsyncGenerator<[string, HostTensor]> {
  const list = [...keys];
  const fetch = (i: number): Promise<HostTensor> | undefined =>
    i < list.length ? readBundleTensor(bundle, list[i]!, { verifyCrc: false }) : undefined;
  // Fetch with checks of place and size but without the CRC; the CRC runs below, overlapped.
  let next = fetch(0);
  for (let i = 0; i < list.length; i++) {
    const current = next!;
    const tensor = await current;
    next = fetch(i + 1);
    next?.catch(() => undefined);
    if (options.verifyCrc !== false) verifyCrc(bundle, list[i]!, tensor);
    yield [list[i]!, tensor];
  }
}

function verifyCrc(bundle: TensorBundle, key: string, tensor: HostTensor): void {
  const entry = bundle.entries.get(key)!;
  const file = dataFileName(bundle.prefix, entry.shardId, bundle.numShards);
  const where = `"${key}" in ${file}`;
  if (tensor.dtype === "string") {
    // Strings re-encode to their stored layout; the CRC covers it.
    if (encodeTensor(tensor).crc32c !== entry.crc32c) {
      throw new CheckpointError("crc-mismatch", cannot("read", where, "its CRC32C does not match its bytes"), {
        path: file,
      });
    }
    return;
  }
  if (unmaskCrc(entry.crc32c) !== crc32c(bytesOf(tensor.data))) {
    throw new CheckpointError("crc-mismatch", cannot("read", where, "its CRC32C does not match its bytes"), {
      path: file,
    });
  }
}
