/** A structure in the file is broken: becomes an `corrupt` H5Error naming the object. */
export class Fault extends Error {}

/** A valid structure this reader does not handle: the caller falls back to h5wasm. */
export class Unsupported extends Error {}

/** The undefined address (all bits set), as a number read by `BytesIn.addr`. */
export const UNDEF = -1;

/** Bounds-checked little-endian reads from the file's bytes; every failure is a Fault. */
export class BytesIn {
  readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    /** Added to every address read from the file (the superblock's base address). */
    public base = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  check(at: number, n: number, what: string): void {
    if (!(at >= 0 && n >= 0 && at + n <= this.length)) {
      throw new Fault(`${what} at ${at} (${n} bytes) runs past the end of the file (${this.length} bytes)`);
    }
  }

  u8(at: number): number {
    this.check(at, 1, "a byte");
    return this.view.getUint8(at);
  }

  u16(at: number): number {
    this.check(at, 2, "a 2-byte field");
    return this.view.getUint16(at, true);
  }

  u32(at: number): number {
    this.check(at, 4, "a 4-byte field");
    return this.view.getUint32(at, true);
  }

  /** An 8-byte length; refuses values past 2^53. */
  u64(at: number): number {
    this.check(at, 8, "an 8-byte field");
    const lo = this.u32(at);
    const hi = this.u32(at + 4);
    if (hi > 0x1fffff) throw new Fault(`an 8-byte value at ${at} is too large`);
    return hi * 0x100000000 + lo;
  }

  /** An 8-byte address relative to the base; UNDEF when all bits are set. */
  addr(at: number): number {
    this.check(at, 8, "an address");
    if (this.u32(at) === 0xffffffff && this.u32(at + 4) === 0xffffffff) return UNDEF;
    return this.u64(at) + this.base;
  }

  /** `n` bytes at `at`, a view. */
  slice(at: number, n: number, what: string): Uint8Array {
    this.check(at, n, what);
    return this.bytes.subarray(at, at + n);
  }

  /** True when the 4 bytes at `at` spell `sig`. */
  is(at: number, sig: string): boolean {
    if (at < 0 || at + 4 > this.bytes.byteLength) return false;
    for (let i = 0; i < 4; i++) if (this.bytes[at + i] !== sig.charCodeAt(i)) return false;
    return true;
  }
}

/** A little reader over one message body: every read is checked against the body's end. */
export class BodyIn {
  private readonly view: DataView;
  at = 0;

  constructor(
    readonly body: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  }

  need(n: number): void {
    if (!(n >= 0 && this.at + n <= this.body.byteLength)) {
      throw new Fault(`the ${this.what} is cut short (${this.body.byteLength} bytes)`);
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.at++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.at, true);
    this.at += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  /** An 8-byte value; `UNDEF` when all bits are set, a Fault past 2^53. */
  u64(): number {
    this.need(8);
    const lo = this.view.getUint32(this.at, true);
    const hi = this.view.getUint32(this.at + 4, true);
    this.at += 8;
    if (lo === 0xffffffff && hi === 0xffffffff) return UNDEF;
    if (hi > 0x1fffff) throw new Fault(`an 8-byte value in the ${this.what} is too large`);
    return hi * 0x100000000 + lo;
  }

  /** An unsigned value of 1, 2, 4 or 8 bytes. */
  uint(size: number): number {
    if (size === 1) return this.u8();
    if (size === 2) return this.u16();
    if (size === 4) return this.u32();
    return this.u64();
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.body.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  skip(n: number): void {
    this.need(n);
    this.at += n;
  }

  get left(): number {
    return this.body.byteLength - this.at;
  }
}
