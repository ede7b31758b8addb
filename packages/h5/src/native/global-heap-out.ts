import type { BytesOut } from "./bytes-out.js";

/** HDF5 reads a global heap collection in 4096-byte steps; smaller ones are padded to this. */
const MIN_COLLECTION = 4096;
/** Object indices are 16-bit and 0 marks free space. */
const MAX_OBJECTS = 0xffff;

interface Collection {
  objects: Uint8Array[];
  size: number;
  address: number;
}

/** Where a stored string lives: its collection (by position) and index there. */
export interface HeapRef {
  readonly collection: number;
  readonly index: number;
  readonly length: number;
}

/** The global heap collections ("GCOL") holding every variable-length string a file stores. */
export class GlobalHeapOut {
  private readonly collections: Collection[] = [];

  /** Stores `bytes` and returns where; addresses are known after `place`. */
  add(bytes: Uint8Array): HeapRef {
    let last = this.collections.at(-1);
    if (last === undefined || last.objects.length >= MAX_OBJECTS) {
      last = { objects: [], size: 16, address: 0 };
      this.collections.push(last);
    }
    last.objects.push(bytes);
    last.size += 16 + align8(bytes.length);
    return { collection: this.collections.length - 1, index: last.objects.length, length: bytes.length };
  }

  /** Total bytes of all collections once laid out. */
  get byteLength(): number {
    return this.collections.reduce((s, c) => s + collectionSize(c), 0);
  }

  /** Gives the collections consecutive addresses from `at`. */
  place(at: number): void {
    for (const c of this.collections) {
      c.address = at;
      at += collectionSize(c);
    }
  }

  /** The 16-byte vlen element (length, collection address, index) that points at `ref`. */
  reference(out: BytesOut, ref: HeapRef): void {
    out.u32(ref.length).u64(this.collections[ref.collection]!.address).u32(ref.index);
  }

  /** Appends every collection, in address order, to `out`. */
  encode(out: BytesOut): void {
    for (const c of this.collections) {
      const size = collectionSize(c);
      const start = out.length;
      out.bytes(GCOL).u8(1).zeros(3).u64(size);
      for (const [i, obj] of c.objects.entries()) {
        out
          .u16(i + 1)
          .u16(0)
          .u32(0)
          .u64(obj.length)
          .bytes(obj)
          .zeros(align8(obj.length) - obj.length);
      }
      const free = size - (out.length - start);
      // The rest is free space, described by object 0 (its size counts its own header).
      if (free >= 16)
        out
          .u16(0)
          .u16(0)
          .u32(0)
          .u64(free)
          .zeros(free - 16);
      else out.zeros(free);
    }
  }
}

const GCOL = new Uint8Array([0x47, 0x43, 0x4f, 0x4c]);

function collectionSize(c: Collection): number {
  return Math.max(MIN_COLLECTION, c.size);
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
