/** Byte-level mutations: what a damaged or hand-edited binary file looks like. */

const INTERESTING_32 = [
  0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000000, 0x40000000,
];

/** One random edit of `bytes` (a copy); `describe` says which. */
export function mutateBytes(bytes: Uint8Array, random: () => number): { bytes: Uint8Array; what: string } {
  const out = bytes.slice();
  const at = (n = out.length) => Math.floor(random() * Math.max(1, n));
  const kind = Math.floor(random() * 7);
  switch (kind) {
    case 0: {
      const n = 1 + at(8);
      for (let i = 0; i < n; i++) out[at()]! ^= 1 << at(8);
      return { bytes: out, what: `${n} bit flips` };
    }
    case 1: {
      const cut = at();
      return { bytes: out.subarray(0, cut), what: `truncated to ${cut} bytes` };
    }
    case 2: {
      // A size, offset or count field made to lie: a 32-bit value at a random 4-aligned place.
      const p = at(out.length >> 2) << 2;
      const v = INTERESTING_32[at(INTERESTING_32.length)]!;
      if (p + 4 <= out.length) new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(p, v, random() < 0.5);
      return { bytes: out, what: `u32 ${v} at ${p}` };
    }
    case 3: {
      // A 64-bit field (HDF5 addresses and lengths, zip64) made huge.
      const p = at(out.length >> 3) << 3;
      if (p + 8 <= out.length)
        new DataView(out.buffer, out.byteOffset, out.byteLength).setBigUint64(
          p,
          BigInt(Math.floor(random() * 2 ** 53)) << BigInt(at(11)),
          true,
        );
      return { bytes: out, what: `u64 at ${p}` };
    }
    case 4: {
      const start = at();
      const len = Math.min(out.length - start, 1 + at(64));
      const copy = out.slice(start, start + len);
      const dest = at();
      const joined = new Uint8Array(out.length + len);
      joined.set(out.subarray(0, dest));
      joined.set(copy, dest);
      joined.set(out.subarray(dest), dest + len);
      return { bytes: joined, what: `${len} bytes duplicated at ${dest}` };
    }
    case 5: {
      const start = at();
      const len = Math.min(out.length - start, 1 + at(256));
      const joined = new Uint8Array(out.length - len);
      joined.set(out.subarray(0, start));
      joined.set(out.subarray(start + len), start);
      return { bytes: joined, what: `${len} bytes removed at ${start}` };
    }
    default: {
      const start = at();
      const len = Math.min(out.length - start, 1 + at(32));
      const v = random() < 0.5 ? 0 : 0xff;
      out.fill(v, start, start + len);
      return { bytes: out, what: `${len} bytes set to ${v} at ${start}` };
    }
  }
}
