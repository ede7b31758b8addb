import { BodyIn, type BytesIn, Fault, UNDEF, Unsupported } from "./bytes-in.js";
import type { H5Type } from "./h5-type.js";
import { decodeDataspace, decodeType } from "./type-in.js";

/** An attribute message, decoded up to its raw element bytes. */
export interface AttributeIn {
  readonly name: string;
  readonly type: H5Type;
  readonly shape: number[] | null;
  readonly data: Uint8Array;
}

const decoder = new TextDecoder("utf-8");

/** The name of an attribute message, without decoding the rest. */
export function attributeName(bytes: Uint8Array): string {
  const body = new BodyIn(bytes, "attribute message");
  const version = body.u8();
  body.u8();
  const nameSize = body.u16();
  body.skip(version === 3 ? 5 : 4);
  return cString(body.bytes(nameSize));
}

/** Decodes an attribute message of version 1, 2 or 3. */
export function decodeAttribute(bytes: Uint8Array): AttributeIn {
  const body = new BodyIn(bytes, "attribute message");
  const version = body.u8();
  if (version < 1 || version > 3) throw new Fault(`attribute message version ${version}`);
  const flags = body.u8();
  if (flags & 0x03) throw new Unsupported("a shared datatype or dataspace in an attribute");
  const nameSize = body.u16();
  const typeSize = body.u16();
  const spaceSize = body.u16();
  if (version === 3) body.u8();
  const pad = (n: number) => (version === 1 ? Math.ceil(n / 8) * 8 : n);
  const name = cString(body.bytes(nameSize));
  body.skip(pad(nameSize) - nameSize);
  const type = decodeType(body.bytes(typeSize));
  body.skip(pad(typeSize) - typeSize);
  const shape = decodeDataspace(body.bytes(spaceSize));
  body.skip(Math.min(body.left, pad(spaceSize) - spaceSize));
  return { name, type, shape, data: body.body.subarray(body.at) };
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}

const MAX_STRING = 16 * 1024 * 1024;

/** Global heap collections by address, parsed once per file: object index → bytes. */
export class GlobalHeapIn {
  private readonly collections = new Map<number, Map<number, Uint8Array>>();

  constructor(private readonly file: BytesIn) {}

  /** The string a 16-byte vlen element (length, collection, index) points at, up to its first NUL. */
  string(element: Uint8Array): string {
    const body = new BodyIn(element, "variable-length string");
    const length = body.u32();
    const collection = body.u64();
    const index = body.u32();
    if (collection === 0 || collection === UNDEF || length === 0) return "";
    if (length > MAX_STRING) throw new Fault(`a string claims ${length} bytes`);
    const object = this.collection(collection + this.file.base).get(index);
    if (object === undefined) throw new Fault(`global heap object ${index} does not exist`);
    if (object.length < length) throw new Fault(`global heap object ${index} is shorter than its string`);
    const bytes = object.subarray(0, length);
    const end = bytes.indexOf(0);
    return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
  }

  private collection(at: number): Map<number, Uint8Array> {
    const known = this.collections.get(at);
    if (known !== undefined) return known;
    const file = this.file;
    if (!file.is(at, "GCOL")) throw new Fault(`no global heap collection at ${at}`);
    const size = file.u64(at + 8);
    const whole = file.slice(at, size, "a global heap collection");
    const objects = new Map<number, Uint8Array>();
    const end = at + size;
    let p = at + 16;
    while (p + 16 <= end) {
      const index = file.u16(p);
      const objectSize = file.u64(p + 8);
      if (index === 0) break;
      if (p + 16 + objectSize > end) throw new Fault(`global heap object ${index} runs past its collection`);
      objects.set(index, whole.subarray(p + 16 - at, p + 16 - at + objectSize));
      p += 16 + Math.ceil(objectSize / 8) * 8;
    }
    this.collections.set(at, objects);
    return objects;
  }
}
