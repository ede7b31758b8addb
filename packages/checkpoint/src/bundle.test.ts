import { type HostTensor, MemoryStore, type SavedNode, hostTensor, stringTensor } from "@kerastore/core";
import { describe, expect, it } from "vitest";
import {
  CheckpointError,
  buildTable,
  crc32c,
  escapeLocalName,
  loadCheckpoint,
  maskCrc,
  openBundle,
  readBundleTensor,
  readCheckpoint,
  readTable,
  snappyDecompress,
  unmaskCrc,
  writeBundle,
  writeCheckpoint,
} from "./index.js";

const enc = new TextEncoder();

describe("CRC32C", () => {
  it("matches the standard check value and RFC 3720 vectors", () => {
    expect(crc32c(enc.encode("123456789"))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(crc32c(ascending)).toBe(0x46dd794e);
    // Unaligned views take the byte-wise path first; same answer.
    const big = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
    expect(crc32c(big.subarray(3))).toBe(crc32c(big.slice(3)));
  });

  it("gives the bit-by-bit answer at every length and alignment around the 16-byte blocks", () => {
    const slow = (bytes: Uint8Array): number => {
      let c = 0xffffffff;
      for (const byte of bytes) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      }
      return ~c >>> 0;
    };
    const data = Uint8Array.from({ length: 160 }, (_, i) => (i * 131 + 17) & 0xff);
    for (let start = 0; start < 4; start++) {
      for (let length = 0; length <= 67; length++) {
        const view = data.subarray(start, start + length);
        expect(crc32c(view), `start ${start}, length ${length}`).toBe(slow(view));
      }
    }
  });

  it("masks and unmasks", () => {
    for (const c of [0, 1, 0xe3069283, 0xffffffff]) expect(unmaskCrc(maskCrc(c))).toBe(c);
    expect(maskCrc(0)).toBe(0xa282ead8);
  });
});

describe("table", () => {
  it("round-trips many entries across several blocks, keys in order", () => {
    const entries = Array.from({ length: 5000 }, (_, i) => ({
      key: enc.encode(`layer_${String(i).padStart(5, "0")}/kernel`),
      value: new Uint8Array(120).fill(i & 0xff),
    }));
    const bytes = buildTable(entries);
    const back = readTable(bytes, "t.index");
    expect(back.length).toBe(5000);
    expect(back.map((e) => new TextDecoder().decode(e.key))).toEqual(
      entries.map((e) => new TextDecoder().decode(e.key)),
    );
    expect(back[4321]!.value).toEqual(entries[4321]!.value);
  });

  it("reads a snappy-compressed block", () => {
    // An uncompressed table, then its one data block rewritten in snappy form by hand.
    const entries = Array.from({ length: 40 }, (_, i) => ({
      key: enc.encode(`key/${1000 + i}`),
      value: enc.encode(`v${i}`.repeat(9)),
    }));
    const table = snappyTable(buildTable(entries));
    const back = readTable(table, "snappy.index");
    expect(back.map((e) => new TextDecoder().decode(e.value))).toEqual(
      entries.map((e) => new TextDecoder().decode(e.value)),
    );
    // Snappy of "abcdabcdabcd" = length 12, literal "abcd", copy (1-byte offset) length 8 offset 4.
    const s = Uint8Array.from([12, 3 << 2, 97, 98, 99, 100, 0b01 | ((8 - 4) << 2), 4]);
    expect(new TextDecoder().decode(snappyDecompress(s, 100, "s"))).toBe("abcdabcdabcd");
    // A 2-byte-offset copy of length 6 at offset 2 (overlapping): "ab" -> "abababab".
    const t = Uint8Array.from([8, 1 << 2, 97, 98, 0b10 | (5 << 2), 2, 0]);
    expect(new TextDecoder().decode(snappyDecompress(t, 100, "t"))).toBe("abababab");
    expect(() =>
      snappyDecompress(Uint8Array.from([12, 3 << 2, 97, 98, 99, 100, 0b01 | (4 << 2), 9]), 100, "s"),
    ).toThrow(CheckpointError);
    expect(() => snappyDecompress(Uint8Array.from([0xff, 0xff, 0xff, 0x7f]), 1000, "s")).toThrow(/more than the 1000/);
  });
});

/**
 * Rewrites a one-data-block table built by buildTable with that block snappy-compressed
 * (literal-only snappy, which any decoder must accept), fixing handles and the block CRC.
 */
function snappyTable(plain: Uint8Array): Uint8Array {
  const u32 = (b: Uint8Array, at: number): number => new DataView(b.buffer, b.byteOffset).getUint32(at, true);
  const varint = (n: number): number[] => {
    const out: number[] = [];
    for (; n >= 128; n = Math.floor(n / 128)) out.push((n % 128) | 128);
    out.push(n);
    return out;
  };
  // Layout from buildTable: [data][5][meta=8 bytes][5][index][5][footer 48].
  const footer = plain.subarray(plain.length - 48);
  const readV = (b: Uint8Array, at: number): [number, number] => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const x = b[at++]!;
      v += (x & 127) * scale;
      scale *= 128;
      if (x < 128) return [v, at];
    }
  };
  const [metaOffset] = readV(footer, 0);
  const data = plain.subarray(0, metaOffset - 5);
  const snappy: number[] = [...varint(data.length)];
  for (let at = 0; at < data.length; at += 256) {
    const chunk = data.subarray(at, at + 256);
    snappy.push(60 << 2, chunk.length - 1, ...chunk);
  }
  const block = (contents: number[], type: number): number[] => {
    const crc = maskCrc(crc32c(Uint8Array.from([...contents, type])));
    return [...contents, type, crc & 255, (crc >>> 8) & 255, (crc >>> 16) & 255, crc >>> 24];
  };
  const out: number[] = block(snappy, 1);
  const metaAt = out.length;
  out.push(...block([0, 0, 0, 0, 1, 0, 0, 0], 0));
  const lastKey = [...enc.encode("key/2")];
  const handle = [...varint(0), ...varint(snappy.length)];
  const indexContents = [0, lastKey.length, handle.length, ...lastKey, ...handle, 0, 0, 0, 0, 1, 0, 0, 0];
  const indexAt = out.length;
  out.push(...block(indexContents, 0));
  const f = new Uint8Array(48);
  f.set([...varint(metaAt), ...varint(8), ...varint(indexAt), ...varint(indexContents.length)]);
  f.set(footer.subarray(40), 40);
  expect(u32(f, 40)).toBe(0x8b80fb57);
  return Uint8Array.from([...out, ...f]);
}

const everyDtype = (): [string, HostTensor][] => [
  ["b", hostTensor("bool", [3], Uint8Array.from([1, 0, 1]))],
  ["i8", hostTensor("int8", [2], Int8Array.from([-128, 127]))],
  ["i16", hostTensor("int16", [2], Int16Array.from([-300, 300]))],
  ["i32", hostTensor("int32", [2, 2], Int32Array.from([1, -2, 3, -4]))],
  ["i64", hostTensor("int64", [2], BigInt64Array.from([-(2n ** 63n), 2n ** 62n]))],
  ["u8", hostTensor("uint8", [1], Uint8Array.from([255]))],
  ["u16", hostTensor("uint16", [1], Uint16Array.from([65535]))],
  ["u32", hostTensor("uint32", [1], Uint32Array.from([4294967295]))],
  ["u64", hostTensor("uint64", [1], BigUint64Array.from([2n ** 64n - 1n]))],
  ["f16", hostTensor("float16", [2], Uint16Array.from([0x3c00, 0xc000]))],
  ["bf16", hostTensor("bfloat16", [2], Uint16Array.from([0x3f80, 0x4000]))],
  ["f32", hostTensor("float32", [0, 3], new Float32Array(0))],
  ["f64", hostTensor("float64", [], Float64Array.from([Math.PI]))],
  ["c64", hostTensor("complex64", [1], Float32Array.from([1.5, -2]))],
  ["c128", hostTensor("complex128", [1], Float64Array.from([1e300, -1e-300]))],
  ["s", stringTensor([2, 2], ["", "héllo", new Uint8Array([0, 255]), "x".repeat(200)])],
  ["s0", stringTensor([], ["scalar"])],
];

describe("bundle", () => {
  it("writes and reads every dtype with its exact bytes", async () => {
    const store = new MemoryStore();
    const tensors = everyDtype();
    await writeBundle(store, "dir/b", tensors);
    expect(store.paths()).toEqual(["dir/b.data-00000-of-00001", "dir/b.index"]);
    const bundle = await openBundle(store, "dir/b");
    expect([...bundle.entries.keys()]).toEqual(tensors.map(([k]) => k).sort());
    for (const [key, t] of tensors) {
      const back = await readBundleTensor(bundle, key);
      expect(back.dtype).toBe(t.dtype);
      expect(back.shape).toEqual(t.shape);
      expect(back.data).toEqual(t.data);
    }
  });

  it("detects a flipped byte in tensor data through the CRC", async () => {
    const store = new MemoryStore();
    await writeBundle(store, "b", [["x", hostTensor("float32", [4], Float32Array.from([1, 2, 3, 4]))]]);
    const data = await store.read("b.data-00000-of-00001");
    data[5]! ^= 1;
    const bundle = await openBundle(store, "b");
    await expect(readBundleTensor(bundle, "x")).rejects.toMatchObject({ code: "crc-mismatch" });
    expect((await readBundleTensor(bundle, "x", { verifyCrc: false })).shape).toEqual([4]);
  });
});

describe("object graph", () => {
  it("escapes names as TensorFlow does", () => {
    expect(escapeLocalName("a.b/c")).toBe("a..b.Sc");
  });

  it("round-trips a tree with nesting, a shared node and slots", async () => {
    const kernel = {
      name: "kernel",
      path: "dense/kernel",
      trainable: true,
      value: hostTensor("float32", [2], Float32Array.from([1, 2])),
    };
    const dense: SavedNode = { className: "Dense", variables: [kernel], children: [] };
    const m = {
      name: "m",
      path: "dense/kernel/m",
      trainable: false,
      value: hostTensor("float32", [2], Float32Array.from([3, 4])),
    };
    const opt: SavedNode = {
      className: "Adam",
      variables: [
        { name: "iter", path: "iter", trainable: false, value: hostTensor("int64", [], BigInt64Array.from([7n])) },
      ],
      children: [],
      slots: [{ original: kernel, slotName: "m", slot: m }],
    };
    const root: SavedNode = {
      className: "Model",
      variables: [],
      children: [
        { name: "layer_with_weights-0", node: dense },
        { name: "layer-0", node: dense },
        { name: "optimizer", node: opt },
      ],
    };
    const store = new MemoryStore();
    await writeCheckpoint(store, "ck", root);
    const reader = await loadCheckpoint(store, "ck");
    expect(reader.listVariables()).toEqual([
      ["_CHECKPOINTABLE_OBJECT_GRAPH", []],
      ["layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE", [2]],
      ["layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/VARIABLE_VALUE", [2]],
      ["optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE", []],
    ]);
    const back = await readCheckpoint(store, "ck");
    const d0 = back.children.find((e) => e.name === "layer_with_weights-0")!.node;
    expect(back.children.find((e) => e.name === "layer-0")!.node).toBe(d0);
    const o = back.children.find((e) => e.name === "optimizer")!.node;
    expect(o.slots![0]!.original).toBe(d0.variables[0]);
    expect(Array.from(o.slots![0]!.slot.value.data as Float32Array)).toEqual([3, 4]);
    // Written again from what was read: the same bytes.
    const again = new MemoryStore();
    await writeCheckpoint(again, "ck", back);
    expect(await again.read("ck.index")).toEqual(await store.read("ck.index"));
    expect(await again.read("ck.data-00000-of-00001")).toEqual(await store.read("ck.data-00000-of-00001"));
  });
});
