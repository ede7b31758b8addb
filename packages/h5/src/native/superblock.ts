import { type BytesIn, Fault, UNDEF, Unsupported } from "./bytes-in.js";
import { lookup3 } from "./lookup3.js";

/** What the reader needs from the superblock. */
export interface Superblock {
  readonly version: number;
  /** The root group's object header address (absolute). */
  readonly root: number;
}

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Finds and reads the superblock (at 0 or a power-of-two offset from 512), versions 0 to 3,
 * with 8-byte offsets and lengths. Sets `file.base` to the base address.
 */
export function readSuperblock(file: BytesIn): Superblock {
  let at = -1;
  for (let p = 0; p + 8 <= file.length && p <= 1 << 30; p = p === 0 ? 512 : p * 2) {
    const head = file.slice(p, 8, "the HDF5 signature");
    if (SIGNATURE.every((b, i) => head[i] === b)) {
      at = p;
      break;
    }
  }
  if (at < 0) throw new Fault("no HDF5 signature");
  const version = file.u8(at + 8);
  if (version === 0 || version === 1) {
    const offsets = file.u8(at + 13);
    const lengths = file.u8(at + 14);
    if (offsets !== 8 || lengths !== 8) throw new Unsupported(`${offsets}-byte offsets and ${lengths}-byte lengths`);
    let p = at + 24 + (version === 1 ? 4 : 0);
    const base = file.u64(p);
    file.base = base;
    p += 32; // base, free-space, end-of-file and driver-info addresses
    // The root group's symbol table entry: link name offset, object header address, ...
    const root = file.addr(p + 8);
    if (root === UNDEF) throw new Fault("the superblock has no root group");
    return { version, root };
  }
  if (version === 2 || version === 3) {
    const offsets = file.u8(at + 9);
    const lengths = file.u8(at + 10);
    if (offsets !== 8 || lengths !== 8) throw new Unsupported(`${offsets}-byte offsets and ${lengths}-byte lengths`);
    const stored = file.u32(at + 44);
    if (lookup3(file.slice(at, 44, "the superblock")) !== stored)
      throw new Fault("the superblock checksum does not match");
    file.base = file.u64(at + 12);
    const root = file.addr(at + 36);
    if (root === UNDEF) throw new Fault("the superblock has no root group");
    return { version, root };
  }
  throw new Unsupported(`superblock version ${version}`);
}
