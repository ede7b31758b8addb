import { type BytesIn, Fault, UNDEF, Unsupported } from "./bytes-in.js";
import { lookup3 } from "./lookup3.js";
import { MSG } from "./object-header.js";

/** One header message as found in the file: its body is a view of the file's bytes. */
export interface MessageIn {
  readonly type: number;
  readonly flags: number;
  readonly body: Uint8Array;
}

const MAX_MESSAGES = 1_000_000;
const MAX_CHUNKS = 10_000;

/** Reads every message of the object header at `address` (version 1 or 2), continuations included. */
export function readObjectHeader(file: BytesIn, address: number): MessageIn[] {
  if (address === UNDEF || address < 0) throw new Fault("an object header has no address");
  const out: MessageIn[] = [];
  const pending: [number, number][] = [];
  const seen = new Set<number>();
  let v2 = false;
  let orderBytes = 0;
  if (file.is(address, "OHDR")) {
    v2 = true;
    if (file.u8(address + 4) !== 2) throw new Unsupported(`object header version ${file.u8(address + 4)}`);
    const flags = file.u8(address + 5);
    let p = address + 6;
    if (flags & 0x20) p += 16;
    if (flags & 0x10) p += 4;
    orderBytes = flags & 0x04 ? 2 : 0;
    const sizeBytes = 1 << (flags & 3);
    const size =
      sizeBytes === 8 ? file.u64(p) : sizeBytes === 4 ? file.u32(p) : sizeBytes === 2 ? file.u16(p) : file.u8(p);
    p += sizeBytes;
    checkSum(file, address, p + size - address);
    pending.push([p, size]);
  } else {
    const version = file.u8(address);
    if (version !== 1) throw new Fault(`no object header at ${address} (version byte ${version})`);
    const size = file.u32(address + 8);
    pending.push([address + 16, size]);
  }
  for (let chunks = 0; pending.length > 0; chunks++) {
    if (chunks > MAX_CHUNKS) throw new Fault("an object header has too many continuation chunks");
    const [start, size] = pending.shift()!;
    if (seen.has(start)) throw new Fault("an object header continues into itself");
    seen.add(start);
    file.check(start, size, "an object header chunk");
    const end = start + size;
    let p = start;
    const headerSize = v2 ? 4 + orderBytes : 8;
    while (p + headerSize <= end) {
      const type = v2 ? file.u8(p) : file.u16(p);
      const bodySize = v2 ? file.u16(p + 1) : file.u16(p + 2);
      const flags = v2 ? file.u8(p + 3) : file.u8(p + 4);
      p += headerSize;
      if (p + bodySize > end) throw new Fault(`a header message (type ${type}) runs past its chunk`);
      const body = file.slice(p, bodySize, "a header message");
      p += bodySize;
      if (!v2 && bodySize % 8 !== 0) p += 8 - (bodySize % 8);
      if (out.length > MAX_MESSAGES) throw new Fault("an object header has too many messages");
      if (type === MSG.continuation) {
        if (bodySize < 16) throw new Fault("a continuation message is cut short");
        const dv = new DataView(body.buffer, body.byteOffset, 16);
        const at = file.base + dv.getUint32(0, true) + dv.getUint32(4, true) * 0x100000000;
        const length = dv.getUint32(8, true) + dv.getUint32(12, true) * 0x100000000;
        if (v2) {
          if (!file.is(at, "OCHK")) throw new Fault(`no continuation chunk (OCHK) at ${at}`);
          checkSum(file, at, length - 4);
          pending.push([at + 4, length - 8]);
        } else {
          pending.push([at, length]);
        }
        continue;
      }
      out.push({ type, flags, body });
    }
  }
  return out;
}

/** Checks the lookup3 checksum stored after `length` bytes from `at`. */
function checkSum(file: BytesIn, at: number, length: number): void {
  const stored = file.u32(at + length);
  if (lookup3(file.slice(at, length, "an object header")) !== stored) {
    throw new Fault(`the object header checksum at ${at} does not match`);
  }
}
