import { create, toBinary } from "@bufbuild/protobuf";
import { type HostTensor, type Store, bytesOf, cannot, sizeOf, utf8Encode } from "@kerastore/core";
import { crc32c, maskCrc } from "./crc32c.js";
import { tfDataType } from "./dtypes.js";
import { CheckpointError } from "./errors.js";
import { dataFileName, indexFileName } from "./file-names.js";
import { BundleEntryProtoSchema, BundleHeaderProtoSchema, TensorShapeProtoSchema } from "./gen/tensor_bundle_pb.js";
import { compareBytes } from "./sstable-read.js";
import { buildTable } from "./sstable-write.js";
import { encodeTensor } from "./tensor-bytes.js";

/**
 * Writes a single-shard tensor bundle: `prefix.data-00000-of-00001`, then `prefix.index`.
 *
 * Tensor bytes are written in the order given (TensorFlow's object-based saver writes them in
 * object graph node order, the graph itself last). Each file is written atomically through the store,
 * and the index goes last, so a bundle whose `.index` exists is complete.
 */
export async function writeBundle(
  store: Store,
  prefix: string,
  tensors: Iterable<readonly [string, HostTensor]>,
): Promise<void> {
  const entries: { key: Uint8Array; value: Uint8Array }[] = [];
  const seen = new Set<string>();
  let offset = 0;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (const [key, tensor] of tensors) {
      if (key === "" || seen.has(key)) {
        throw new CheckpointError(
          "invalid-argument",
          cannot("write", `checkpoint ${prefix}`, `the key "${key}" is empty or repeated`),
        );
      }
      seen.add(key);
      checkTensor(key, tensor, prefix);
      let parts: Uint8Array[];
      let crc: Promise<number>;
      if (tensor.dtype === "string") {
        const encoded = encodeTensor(tensor);
        parts = encoded.chunks;
        crc = Promise.resolve(encoded.crc32c);
      } else {
        parts = [bytesOf(tensor.data)];
        // Numeric CRCs are computed while the store writes the bytes (see crcSoon).
        crc = crcSoon(parts[0]!);
      }
      let size = 0;
      for (const part of parts) {
        size += part.length;
        if (part.length > 0) yield part;
      }
      const shape = create(TensorShapeProtoSchema, { dim: tensor.shape.map((d) => ({ size: BigInt(d) })) });
      const entry = create(BundleEntryProtoSchema, {
        dtype: tfDataType(tensor.dtype),
        shape,
        offset: BigInt(offset),
        size: BigInt(size),
        crc32c: await crc,
      });
      entries.push({ key: utf8Encode(key), value: toBinary(BundleEntryProtoSchema, entry) });
      offset += size;
    }
  }
  await store.write(dataFileName(prefix, 0, 1), chunks());
  const header = create(BundleHeaderProtoSchema, { numShards: 1, version: { producer: 1 } });
  entries.push({ key: new Uint8Array(0), value: toBinary(BundleHeaderProtoSchema, header) });
  entries.sort((a, b) => compareBytes(a.key, b.key));
  await store.write(indexFileName(prefix), buildTable(entries));
}

function checkTensor(key: string, tensor: HostTensor, prefix: string): void {
  const lanes = tensor.dtype === "complex64" || tensor.dtype === "complex128" ? 2 : 1;
  const count = sizeOf(tensor.shape);
  if (tensor.shape.some((d) => !Number.isSafeInteger(d) || d < 0) || tensor.data.length !== count * lanes) {
    throw new CheckpointError(
      "invalid-argument",
      cannot(
        "write",
        `"${key}" to checkpoint ${prefix}`,
        `${tensor.data.length / lanes} values for shape [${tensor.shape.join(", ")}]`,
      ),
    );
  }
}

interface Timers {
  setImmediate?: (fn: () => void) => unknown;
  setTimeout: (fn: () => void, ms: number) => unknown;
}

/**
 * The masked CRC of `bytes`, computed on the next macrotask: the store's write of the same
 * bytes (a libuv thread for NodeStore) then runs while this thread checksums, instead of
 * one after the other.
 */
function crcSoon(bytes: Uint8Array): Promise<number> {
  const timers = globalThis as unknown as Timers;
  return new Promise((resolve, reject) => {
    const run = (): void => {
      try {
        resolve(maskCrc(crc32c(bytes)));
      } catch (error) {
        reject(error);
      }
    };
    if (timers.setImmediate !== undefined) timers.setImmediate(run);
    else timers.setTimeout(run, 0);
  });
}
