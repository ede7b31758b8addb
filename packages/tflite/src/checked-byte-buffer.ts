import { ByteBuffer } from "flatbuffers";

/** Thrown by `CheckedByteBuffer` on a read outside the bytes; the reader turns it into a TfliteError. */
export class OutOfBounds extends Error {
  constructor(
    readonly at: number,
    readonly size: number,
    readonly what: string,
  ) {
    super(`${what} at byte ${at} (${size} bytes) lies outside the file`);
  }
}

/**
 * A flatbuffers ByteBuffer that checks every read against the bytes that are there.
 *
 * The generated accessors trust the file: an offset or a vector length from mutated bytes
 * would read past the end (as zeros) or loop over a made-up length. Here each read, table,
 * vtable, vector and string is checked first, so a vector's loop can never run past the file
 * and a bad offset becomes an `OutOfBounds` naming where.
 */
export class CheckedByteBuffer extends ByteBuffer {
  private check(offset: number, size: number, what: string): void {
    if (!Number.isInteger(offset) || offset < 0 || offset + size > this.capacity())
      throw new OutOfBounds(offset, size, what);
  }

  override readInt8(offset: number): number {
    this.check(offset, 1, "a byte");
    return super.readInt8(offset);
  }
  override readUint8(offset: number): number {
    this.check(offset, 1, "a byte");
    return super.readUint8(offset);
  }
  override readInt16(offset: number): number {
    this.check(offset, 2, "a 16-bit value");
    return super.readInt16(offset);
  }
  override readUint16(offset: number): number {
    this.check(offset, 2, "a 16-bit value");
    return super.readUint16(offset);
  }
  override readInt32(offset: number): number {
    this.check(offset, 4, "a 32-bit value");
    return super.readInt32(offset);
  }
  override readUint32(offset: number): number {
    this.check(offset, 4, "a 32-bit value");
    return super.readUint32(offset);
  }
  override readInt64(offset: number): bigint {
    this.check(offset, 8, "a 64-bit value");
    return super.readInt64(offset);
  }
  override readUint64(offset: number): bigint {
    this.check(offset, 8, "a 64-bit value");
    return super.readUint64(offset);
  }
  override readFloat32(offset: number): number {
    this.check(offset, 4, "a float");
    return super.readFloat32(offset);
  }
  override readFloat64(offset: number): number {
    this.check(offset, 8, "a double");
    return super.readFloat64(offset);
  }

  /** A field's offset in its table, after checking the table's vtable lies inside the file. */
  override __offset(bbPos: number, vtableOffset: number): number {
    const vtable = bbPos - this.readInt32(bbPos);
    this.check(vtable, 4, "a vtable");
    const vtableSize = this.readInt16(vtable);
    if (vtableSize < 4 || (vtableSize & 1) !== 0)
      throw new OutOfBounds(vtable, vtableSize, "a vtable of odd or tiny size");
    this.check(vtable, vtableSize, "a vtable");
    const field = vtableOffset < vtableSize ? this.readInt16(vtable + vtableOffset) : 0;
    if (field !== 0) {
      const tableSize = this.readInt16(vtable + 2);
      if (field < 4 || field >= tableSize)
        throw new OutOfBounds(bbPos + field, tableSize, "a table field outside its table");
      this.check(bbPos, tableSize, "a table");
    }
    return field;
  }

  override __indirect(offset: number): number {
    const target = offset + this.readUint32(offset);
    this.check(target, 4, "a table");
    return target;
  }

  override __vector(offset: number): number {
    const start = offset + this.readUint32(offset);
    this.check(start, 4, "a vector");
    return start + 4;
  }

  /** A vector's length, after checking the vector can hold that many (1-byte) elements. */
  override __vector_len(offset: number): number {
    const start = offset + this.readUint32(offset);
    const length = this.readUint32(start);
    this.check(start + 4, length, "a vector's elements");
    return length;
  }

  override __string(offset: number, encoding?: number): string | Uint8Array {
    const start = offset + this.readUint32(offset);
    const length = this.readUint32(start);
    this.check(start + 4, length, "a string");
    return super.__string(offset, encoding as never);
  }

  /** The bytes of the ubyte vector whose offset field is at `offset`, as a view. */
  byteVector(offset: number): Uint8Array {
    const length = this.__vector_len(offset);
    const start = this.__vector(offset);
    return this.bytes().subarray(start, start + length);
  }

  /** Checks a vector of `length` elements of `size` bytes starting at `start` lies inside the file. */
  checkVector(start: number, length: number, size: number, what: string): void {
    this.check(start, length * size, what);
  }
}
