import { type BytesIn, Fault, UNDEF, Unsupported } from "./bytes-in.js";
import { lookup3 } from "./lookup3.js";

/**
 * Dense storage (HDF5 1.8+ with `libver="latest"`): a group's links or an object's attributes
 * kept as messages in a fractal heap, indexed by name in a version 2 B-tree. Returns every
 * stored message body. Handles what h5py writes for groups of hundreds of members: a root
 * direct block or a root indirect block of direct blocks, and B-trees of depth 0 or 1.
 */
export function readDenseMessages(
  file: BytesIn,
  heapAddress: number,
  btreeAddress: number,
  recordType: 5 | 8,
): Uint8Array[] {
  const heap = readHeapHeader(file, heapAddress);
  const out: Uint8Array[] = [];
  for (const id of readBtreeRecords(file, btreeAddress, recordType, heap.idLength))
    out.push(heapObject(file, heap, id));
  return out;
}

interface HeapHeader {
  readonly idLength: number;
  readonly offsetBytes: number;
  readonly lengthBytes: number;
  readonly checksummed: boolean;
  /** Direct blocks as [heap offset, size, file address of the block]. */
  readonly blocks: [number, number, number][];
}

function bytesFor(bits: number): number {
  return Math.ceil(bits / 8);
}

/** Bytes HDF5 uses to encode values up to `n` (H5VM_limit_enc_size). */
function limitEncSize(n: number): number {
  return Math.floor(Math.floor(Math.log2(Math.max(n, 1))) / 8) + 1;
}

function readHeapHeader(file: BytesIn, at: number): HeapHeader {
  if (!file.is(at, "FRHP")) throw new Fault(`no fractal heap at ${at}`);
  if (file.u8(at + 4) !== 0) throw new Unsupported("fractal heap version");
  const idLength = file.u16(at + 5);
  const filterLength = file.u16(at + 7);
  if (filterLength !== 0) throw new Unsupported("a filtered fractal heap");
  const flags = file.u8(at + 9);
  const maxManaged = file.u32(at + 10);
  // Fields of 8 bytes from +14: next huge id, huge B-tree, free space, free-space manager,
  // managed space, allocated space, iterator offset, managed count, huge size, huge count,
  // tiny size, tiny count (12 × 8 = 96).
  let p = at + 14 + 96;
  const width = file.u16(p);
  const startSize = file.u64(p + 2);
  const maxDirect = file.u64(p + 10);
  const maxHeapBits = file.u16(p + 18);
  p += 22; // width, start size, max direct size, max heap size, starting rows
  const root = file.addr(p);
  const rows = file.u16(p + 8);
  p += 10;
  if (lookup3(file.slice(at, p - at, "a fractal heap header")) !== file.u32(p))
    throw new Fault("the fractal heap checksum does not match");
  if (width === 0 || width > 1024 || startSize === 0 || maxDirect === 0 || maxHeapBits === 0 || maxHeapBits > 64)
    throw new Fault("a fractal heap has a bad doubling table");
  const offsetBytes = bytesFor(maxHeapBits);
  const lengthBytes = Math.min(bytesFor(Math.ceil(Math.log2(maxDirect))), limitEncSize(maxManaged));
  const checksummed = (flags & 0x02) !== 0;
  const blocks: [number, number, number][] = [];
  if (root !== UNDEF) {
    if (rows === 0) {
      blocks.push([0, startSize, root]);
    } else {
      if (!file.is(root, "FHIB")) throw new Fault(`no fractal heap indirect block at ${root}`);
      let q = root + 5 + 8 + offsetBytes;
      let offset = 0;
      for (let r = 0; r < rows; r++) {
        const size = r < 2 ? startSize : startSize * 2 ** (r - 1);
        if (size > maxDirect) throw new Unsupported("nested fractal heap indirect blocks");
        for (let c = 0; c < width; c++) {
          const child = file.addr(q);
          q += 8;
          if (child !== UNDEF) blocks.push([offset, size, child]);
          offset += size;
        }
      }
    }
  }
  return { idLength, offsetBytes, lengthBytes, checksummed, blocks };
}

function readUint(file: BytesIn, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + file.u8(at + i);
  if (!Number.isSafeInteger(v)) throw new Fault("a fractal heap field is too large");
  return v;
}

function heapObject(file: BytesIn, heap: HeapHeader, id: number): Uint8Array {
  const flags = file.u8(id);
  const kind = (flags >> 4) & 0x03;
  if (flags >> 6 !== 0) throw new Fault("a fractal heap id has an unknown version");
  if (kind === 2) {
    const length = (flags & 0x0f) + 1;
    return file.slice(id + 1, length, "a tiny heap object");
  }
  if (kind !== 0) throw new Unsupported("huge fractal heap objects");
  const offset = readUint(file, id + 1, heap.offsetBytes);
  const length = readUint(file, id + 1 + heap.offsetBytes, heap.lengthBytes);
  for (const [start, size, address] of heap.blocks) {
    if (offset < start || offset >= start + size) continue;
    if (!file.is(address, "FHDB")) throw new Fault(`no fractal heap direct block at ${address}`);
    if (offset - start + length > size) throw new Fault("a heap object runs past its block");
    return file.slice(address + (offset - start), length, "a heap object");
  }
  throw new Fault(`no fractal heap block holds offset ${offset}`);
}

/** Heap ids (file positions of them) of every record of a v2 B-tree of links (5) or attributes (8). */
function readBtreeRecords(file: BytesIn, at: number, type: number, idLength: number): number[] {
  if (!file.is(at, "BTHD")) throw new Fault(`no B-tree header at ${at}`);
  if (file.u8(at + 5) !== type) throw new Fault("a B-tree indexes the wrong kind of record");
  const nodeSize = file.u32(at + 6);
  const recordSize = file.u16(at + 10);
  const depth = file.u16(at + 12);
  const root = file.addr(at + 16);
  const rootRecords = file.u16(at + 24);
  if (lookup3(file.slice(at, 34, "a B-tree header")) !== file.u32(at + 34))
    throw new Fault("the B-tree header checksum does not match");
  const idAt = type === 5 ? 4 : 0;
  if (recordSize < idAt + idLength) throw new Fault("B-tree records are too small");
  const ids: number[] = [];
  if (root === UNDEF || rootRecords === 0) return ids;
  const leaf = (node: number, count: number): void => {
    if (!file.is(node, "BTLF")) throw new Fault(`no B-tree leaf at ${node}`);
    file.check(node + 6, count * recordSize, "a B-tree leaf");
    for (let i = 0; i < count; i++) ids.push(node + 6 + i * recordSize + idAt);
  };
  if (depth === 0) {
    leaf(root, rootRecords);
    return ids;
  }
  if (depth !== 1) throw new Unsupported(`a B-tree of depth ${depth}`);
  if (!file.is(root, "BTIN")) throw new Fault(`no B-tree internal node at ${root}`);
  const maxLeaf = Math.floor((nodeSize - 10) / recordSize);
  const countBytes = limitEncSize(maxLeaf);
  let p = root + 6;
  for (let i = 0; i < rootRecords; i++) ids.push(p + i * recordSize + idAt);
  p += rootRecords * recordSize;
  for (let i = 0; i <= rootRecords; i++) {
    const child = file.addr(p);
    const count = readUint(file, p + 8, countBytes);
    if (count > maxLeaf) throw new Fault("a B-tree leaf claims too many records");
    leaf(child, count);
    p += 8 + countBytes;
  }
  return ids;
}
