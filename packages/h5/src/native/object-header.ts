import { BytesOut } from "./bytes-out.js";
import { type H5Type, encodeType, typeSize } from "./h5-type.js";
import { lookup3 } from "./lookup3.js";
import { H5Error } from "../errors.js";

/** Header message types this package writes or reads (H5O_msg_class_t ids). */
export const MSG = {
  nil: 0x00,
  dataspace: 0x01,
  linkInfo: 0x02,
  datatype: 0x03,
  fillOld: 0x04,
  fill: 0x05,
  link: 0x06,
  layout: 0x08,
  groupInfo: 0x0a,
  filters: 0x0b,
  attribute: 0x0c,
  continuation: 0x10,
  symbolTable: 0x11,
  attributeInfo: 0x15,
} as const;

/** One message of an object header: type, flags, body. */
export interface Message {
  readonly type: number;
  readonly flags: number;
  readonly body: Uint8Array;
}

/** The largest message body an object header can hold (its size field has 2 bytes). */
export const MAX_MESSAGE = 0xffff;

/**
 * A version 2 object header ("OHDR") with all messages in one chunk, a 4-byte chunk size and
 * no times or creation order, followed by its lookup3 checksum.
 */
export function encodeObjectHeader(messages: readonly Message[]): Uint8Array {
  const out = new BytesOut();
  out.bytes(OHDR).u8(2).u8(0x02);
  const sizeAt = out.length;
  out.u32(0);
  const start = out.length;
  for (const m of messages) out.u8(m.type).u16(m.body.length).u8(m.flags).bytes(m.body);
  out.setU32(sizeAt, out.length - start);
  const body = out.result();
  out.u32(lookup3(body));
  return out.result().slice();
}

export const OHDR = new Uint8Array([0x4f, 0x48, 0x44, 0x52]);

/** A version 2 dataspace: scalar for `[]`, else simple without maximum dimensions. */
export function encodeDataspace(shape: readonly number[]): Uint8Array {
  const out = new BytesOut();
  out
    .u8(2)
    .u8(shape.length)
    .u8(0)
    .u8(shape.length === 0 ? 0 : 1);
  for (const d of shape) out.u64(d);
  return out.result().slice();
}

/** A version 3 attribute message; `data` is the raw element bytes (vlen: heap references). */
export function encodeAttribute(name: string, type: H5Type, shape: readonly number[], data: Uint8Array): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const dtype = encodeType(type);
  const space = encodeDataspace(shape);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count * typeSize(type))
    throw new H5Error(
      "invalid-tree",
      `cannot write attribute ${name}: ${data.length} data bytes do not fit its type and count`,
    );
  const ascii = nameBytes.every((b) => b < 0x80);
  const out = new BytesOut();
  out
    .u8(3)
    .u8(0)
    .u16(nameBytes.length + 1)
    .u16(dtype.length)
    .u16(space.length)
    .u8(ascii ? 0 : 1);
  out.bytes(nameBytes).u8(0).bytes(dtype).bytes(space).bytes(data);
  return out.result().slice();
}

/** A version 1 link message for a hard link; the name's charset is recorded when not ASCII. */
export function encodeHardLink(name: string, address: number): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const ascii = nameBytes.every((b) => b < 0x80);
  const lengthSize = nameBytes.length < 0x100 ? 0 : nameBytes.length < 0x10000 ? 1 : 2;
  const out = new BytesOut();
  out.u8(1).u8(lengthSize | (ascii ? 0 : 0x10));
  if (!ascii) out.u8(1);
  if (lengthSize === 0) out.u8(nameBytes.length);
  else if (lengthSize === 1) out.u16(nameBytes.length);
  else out.u32(nameBytes.length);
  out.bytes(nameBytes).u64(address);
  return out.result().slice();
}

/** Link info (no creation order, compact storage) and group info: what marks a new-style group. */
export function groupMessages(): Message[] {
  const linfo = new BytesOut().u8(0).u8(0).u64(undefined).u64(undefined).result().slice();
  return [
    { type: MSG.linkInfo, flags: 0, body: linfo },
    { type: MSG.groupInfo, flags: 0, body: new Uint8Array([0, 0]) },
  ];
}

/** Fill value (version 3: allocate late, write if set, none defined) as h5py leaves it. */
export const FILL_VALUE_BODY = new Uint8Array([3, 0x0a]);

/** A version 3 contiguous layout message; empty data has the undefined address. */
export function encodeContiguousLayout(address: number | undefined, size: number): Uint8Array {
  return new BytesOut().u8(3).u8(1).u64(address).u64(size).result().slice();
}
