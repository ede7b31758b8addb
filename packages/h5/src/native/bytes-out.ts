/** A growable little-endian byte buffer for HDF5 metadata. */
export class BytesOut {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.room(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
    return this;
  }

  /** An 8-byte address or length; `undefined` writes HDF5's undefined address (all ones). */
  u64(v: number | undefined): this {
    this.room(8);
    if (v === undefined) {
      this.view.setBigUint64(this.length, 0xffffffffffffffffn, true);
    } else {
      this.view.setUint32(this.length, v % 0x100000000, true);
      this.view.setUint32(this.length + 4, Math.floor(v / 0x100000000), true);
    }
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  zeros(n: number): this {
    this.room(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }

  /** Overwrites a 4-byte value already written at `at`. */
  setU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }

  /** The bytes written so far (a view; copy before writing more if you keep it). */
  result(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}
