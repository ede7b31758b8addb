import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MemoryStore } from "@kerastore/core";
import { readFixture, readFixtureJson, realworld } from "@kerastore/fixtures";
import { Zip, ZipPassThrough, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import {
  KerasV3Error,
  bytesSource,
  crc32,
  openKerasArchive,
  parsePythonJson,
  pythonJson,
  readZipDirectory,
  readZipMember,
  writeZip,
  zipChunks,
} from "./index.js";

const models = readFixtureJson<{ models: { name: string; files: string[] }[] }>("models", "index.json").models;
const kerasModels = models.filter((m) => m.files.includes("model.keras")).map((m) => m.name);
const text = new TextDecoder();
const enc = new TextEncoder();

describe("zip container", () => {
  it("computes the standard CRC-32 check value", () => {
    expect(crc32(enc.encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    // Continuing over two halves gives the CRC of the whole.
    const all = enc.encode("hello, keras archive");
    expect(crc32(all.subarray(7), crc32(all.subarray(0, 7)))).toBe(crc32(all));
  });

  it.each(kerasModels)("lists and reads every member of %s/model.keras as Keras wrote it", async (name) => {
    const bytes = readFixture("models", name, "model.keras");
    const dir = await readZipDirectory(bytesSource(bytes, name));
    expect(dir.entries.map((e) => e.name)).toEqual(["metadata.json", "config.json", "model.weights.h5"]);
    for (const e of dir.entries) expect(e.method).toBe(0);
    const config = await readZipMember(dir, dir.byName.get("config.json")!);
    // The archive's config.json is the fixture's, plus the `shared_object_id`s Keras's
    // ObjectSharingScope adds when saving a whole model.
    const dropShared = (_k: string, v: unknown) =>
      v && typeof v === "object" && "shared_object_id" in v ? { ...v, shared_object_id: undefined } : v;
    expect(JSON.parse(text.decode(config), dropShared)).toEqual(
      JSON.parse(text.decode(readFixture("models", name, "config.json")), dropShared),
    );
    const metadata = JSON.parse(text.decode(await readZipMember(dir, dir.byName.get("metadata.json")!)));
    expect(metadata.keras_version).toBe("3.15.1");
    expect(metadata.date_saved).toMatch(/^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
    const weights = await readZipMember(dir, dir.byName.get("model.weights.h5")!);
    expect([...weights.subarray(0, 8)]).toEqual([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    // Stored members are views of the archive's bytes, not copies.
    expect(weights.buffer).toBe(bytes.buffer);
  });

  it.each(kerasModels)("rewrites %s/model.keras byte for byte from its members", async (name) => {
    const bytes = readFixture("models", name, "model.keras");
    const dir = await readZipDirectory(bytesSource(bytes));
    const members = await Promise.all(
      dir.entries.map(async (e) => ({ name: e.name, data: await readZipMember(dir, e), date: e.date })),
    );
    expect(Buffer.from(writeZip(members)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("reads deflated members and members followed by data descriptors (written by fflate)", async () => {
    const big = new Uint8Array(200_000);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) % 13;
    const deflated = zipSync({ "config.json": enc.encode('{"a": 1}'), "model.weights.h5": big }, { level: 6 });
    const dir = await readZipDirectory(bytesSource(deflated));
    expect(dir.byName.get("model.weights.h5")!.method).toBe(8);
    expect(dir.byName.get("model.weights.h5")!.compressedSize).toBeLessThan(big.length / 10);
    expect(Buffer.from(await readZipMember(dir, dir.byName.get("model.weights.h5")!)).equals(Buffer.from(big))).toBe(
      true,
    );

    // fflate's streaming Zip writes sizes and CRC after the data (general-purpose flag bit 3).
    const chunks: Uint8Array[] = [];
    const zip = new Zip((err, chunk) => {
      if (err) throw err;
      chunks.push(chunk);
    });
    const f = new ZipPassThrough("assets/vocab.txt");
    zip.add(f);
    f.push(enc.encode("a\nb\nc\n"), true);
    zip.end();
    const streamed = new Uint8Array(Buffer.concat(chunks));
    const d2 = await readZipDirectory(bytesSource(streamed));
    const entry = d2.byName.get("assets/vocab.txt")!;
    expect(entry.flags & 0x8).toBe(0x8);
    expect(text.decode(await readZipMember(d2, entry))).toBe("a\nb\nc\n");
  });

  it("writes and reads ZIP64 records", async () => {
    const members = [
      { name: "config.json", data: enc.encode("{}") },
      { name: "model.weights.h5", data: new Uint8Array([1, 2, 3, 4, 5]) },
    ];
    const bytes = writeZip(members, { forceZip64: true });
    // The ZIP64 end record and its locator precede the classic end record.
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    expect(v.getUint32(bytes.length - 22 - 20, true)).toBe(0x07064b50);
    expect(v.getUint32(bytes.length - 22, true)).toBe(0x06054b50);
    expect(v.getUint32(bytes.length - 22 + 16, true)).toBe(0xffffffff);
    const dir = await readZipDirectory(bytesSource(bytes));
    expect(dir.entries.map((e) => [e.name, e.size])).toEqual([
      ["config.json", 2],
      ["model.weights.h5", 5],
    ]);
    expect([...(await readZipMember(dir, dir.entries[1]!))]).toEqual([1, 2, 3, 4, 5]);
  });

  it("streams the caller's buffers without copying them", () => {
    const payload = new Uint8Array(1000).fill(9);
    const chunks = [...zipChunks([{ name: "model.weights.h5", data: payload }])];
    expect(chunks.some((c) => c === payload)).toBe(true);
  });

  it("opens the same archive from bytes, from a store file, and unzipped in a directory", async () => {
    const bytes = readFixture("models", "get_model", "model.keras");
    const store = new MemoryStore({ "m/model.keras": bytes });
    const fromStore = await openKerasArchive(store, { path: "m/model.keras" });
    expect(fromStore.form).toBe("zip");
    expect(fromStore.description).toBe("m/model.keras");
    const fromBytes = await openKerasArchive(bytes);
    const unzipped = new MemoryStore();
    for (const name of fromBytes.names) await unzipped.write(`dir/${name}`, await fromBytes.read(name));
    const fromDir = await openKerasArchive(unzipped, { path: "dir" });
    expect(fromDir.form).toBe("directory");
    expect(fromDir.names).toEqual(["config.json", "metadata.json", "model.weights.h5"]);
    for (const name of fromBytes.names) {
      expect(Buffer.from(await fromDir.read(name)).equals(Buffer.from(await fromStore.read(name)))).toBe(true);
    }
    await expect(fromDir.read("nope.json")).rejects.toMatchObject({ code: "missing-member" });
  });
});

describe("real-world .keras zips", () => {
  const rw = realworld();
  const files = [
    "Aman-21k__cnn-fashion-mnist-classifier__model.keras",
    "KajetanFrackowiak__tensorflow_fundamentals__model_6.keras",
  ];
  it.skipIf(!rw.dir).each(files)(`reads %s${rw.missing ? ` (skipped: ${rw.missing})` : ""}`, async (file) => {
    const bytes = new Uint8Array(readFileSync(join(rw.dir!, file)));
    const archive = await openKerasArchive(bytes, { name: file });
    expect(archive.names).toEqual(["metadata.json", "config.json", "model.weights.h5"]);
    const meta = JSON.parse(text.decode(await archive.read("metadata.json")));
    expect(meta.keras_version).toBe(file.startsWith("Aman") ? "3.10.0" : "2.15.0");
    const config = JSON.parse(text.decode(await archive.read("config.json")));
    expect(config.class_name).toBe(file.startsWith("Aman") ? "Sequential" : "Functional");
  });

  it.skipIf(!rw.dir)(
    `rejects the HDF5 file named .keras as not a zip${rw.missing ? ` (skipped: ${rw.missing})` : ""}`,
    async () => {
      const bytes = new Uint8Array(readFileSync(join(rw.dir!, "AdamVenroy__sentiment-classifer__model.keras")));
      const error = await openKerasArchive(bytes, { name: "model.keras" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KerasV3Error);
      expect((error as KerasV3Error).code).toBe("not-a-zip");
      expect((error as KerasV3Error).message).toContain("model.keras");
    },
  );
});

describe("Python-style JSON", () => {
  it.each(kerasModels)("re-serializes %s/config.json as Python's json.dumps wrote it", (name) => {
    const raw = text.decode(readFixture("models", name, "config.json")).trimEnd();
    // JavaScript prints exponents without Python's zero padding (1e-07 -> 1e-7) and drops
    // the `.0` of integral floats; those differences are expected, everything else matches.
    const normalize = (s: string) => s.replace(/(\d)e([+-])0(\d)/g, "$1e$2$3").replace(/(\d+)\.0(?=[,\]}])/g, "$1");
    expect(normalize(pythonJson(parsePythonJson(raw)))).toBe(normalize(raw));
  });

  it("escapes non-ASCII and reads NaN and Infinity as Python writes them", () => {
    expect(pythonJson({ name: "dénse", v: [1, 2.5, null, true] })).toBe(
      '{"name": "d\\u00e9nse", "v": [1, 2.5, null, true]}',
    );
    expect(parsePythonJson('{"a": NaN, "b": -Infinity, "c": "NaN"}')).toEqual({
      a: Number.NaN,
      b: Number.NEGATIVE_INFINITY,
      c: "NaN",
    });
    expect(pythonJson({ a: Number.POSITIVE_INFINITY })).toBe('{"a": Infinity}');
  });
});
