import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { MemoryStore, type SavedNode, hostTensor, utf8Decode, utf8Encode } from "@kerastore/core";
import { readCheckpoint, writeCheckpoint } from "@kerastore/checkpoint";
import { readKerasH5, writeLegacyH5 } from "@kerastore/h5";
import { bytesSource, readZipDirectory, readZipMember, writeZip } from "@kerastore/keras-v3";
import { mutateBytes } from "./mutate-bytes.js";
import { mutateJson } from "./mutate-json.js";
import { type Seed, readSeedFile } from "./seeds.js";

/** A mutant on disk: what the child loads, its size, and the edit that made it. */
export interface Mutant {
  readonly dir: string;
  readonly target: string;
  readonly architecture: string | undefined;
  readonly bytes: number;
  readonly what: string;
}

function pick<T>(xs: readonly T[], random: () => number): T {
  return xs[Math.floor(random() * xs.length)]!;
}

type Edit = (bytes: Uint8Array, file: string) => Promise<{ bytes: Uint8Array; what: string }>;

/** An edit of a JSON file (a config, a weight map): config-heavy. */
function jsonEdit(random: () => number): Edit {
  return async (bytes) => {
    const { text, what } = mutateJson(JSON.parse(utf8Decode(bytes)), random);
    return { bytes: utf8Encode(text), what: `json: ${what}` };
  };
}

/** A .keras archive with one member edited and the zip rebuilt, so every CRC is valid. */
function kerasEdit(random: () => number): Edit {
  return async (bytes) => {
    const zip = await readZipDirectory(bytesSource(bytes));
    const members: { name: string; data: Uint8Array }[] = [];
    for (const e of zip.entries) members.push({ name: e.name, data: await readZipMember(zip, e) });
    const member = random() < 0.6 ? members.find((m) => m.name === "config.json")! : pick(members, random);
    const edited = member.name.endsWith(".json")
      ? await jsonEdit(random)(member.data, member.name)
      : mutateBytes(member.data, random);
    member.data = edited.bytes;
    return { bytes: writeZip(members), what: `${member.name} ${edited.what}` };
  };
}

/** A legacy .h5 whose model_config is edited and the file rewritten whole (valid HDF5). */
function h5ConfigEdit(random: () => number): Edit {
  return async (bytes, file) => {
    const h5 = await readKerasH5(bytes, { name: file });
    const config = h5.data.modelConfig;
    if (config === undefined) return mutateBytes(bytes, random);
    const { text, what } = mutateJson(config, random);
    return {
      bytes: await writeLegacyH5({ ...h5.data, modelConfig: JSON.parse(text) }, {}),
      what: `model_config: ${what}`,
    };
  };
}

/** A checkpoint rewritten (valid CRCs) with one variable's shape or values changed. */
function checkpointEdit(random: () => number, seed: Seed): (store: MemoryStore) => Promise<string> {
  return async (store) => {
    const root = await readCheckpoint(store, "ckpt/weights");
    const vars: SavedNode["variables"] = [];
    const stack = [root];
    while (stack.length > 0) {
      const n = stack.pop()!;
      vars.push(...n.variables);
      for (const e of n.children) stack.push(e.node);
    }
    const v = pick(vars, random);
    const dims = v.value.shape;
    const shape =
      random() < 0.5
        ? [...dims.slice(0, -1), (dims[dims.length - 1] ?? 1) + 1]
        : random() < 0.5
          ? [...dims].reverse()
          : [...dims, 1, 1];
    const size = shape.reduce((a, b) => a * b, 1);
    v.value = hostTensor("float32", shape, new Float32Array(Math.min(size, 1 << 20)).fill(0.5));
    await writeCheckpoint(store, "ckpt/weights", root);
    return `${seed.name}: variable ${v.name} made ${JSON.stringify(shape)}`;
  };
}

/**
 * Makes one mutant of `seed` in `dir`: a structure-aware edit (configs, archives rebuilt with
 * valid checksums, checkpoints rewritten) or a byte-level one, by the seeded `random`.
 */
export async function makeMutant(seed: Seed, dir: string, random: () => number): Promise<Mutant> {
  const files = new Map<string, Uint8Array>();
  for (const f of [...seed.files, ...(seed.architecture !== undefined ? [seed.architecture] : [])])
    files.set(f, await readSeedFile(seed, f));
  const file = pick(seed.files, random);
  const original = files.get(file)!;
  let what: string;
  const structured = random() < 0.6;
  if (seed.format === "checkpoint" && structured && random() < 0.5) {
    const store = new MemoryStore(Object.fromEntries(files));
    what = await checkpointEdit(random, seed)(store);
    for (const f of seed.files) if (await store.exists(f)) files.set(f, await store.read(f));
  } else {
    let edit: Edit = async (b) => mutateBytes(b, random);
    if (structured) {
      if (file.endsWith(".json")) edit = jsonEdit(random);
      else if (file.endsWith(".keras")) edit = kerasEdit(random);
      else if (file === "model.h5") edit = h5ConfigEdit(random);
      else if (file.endsWith(".npy")) edit = npyHeaderEdit(random);
    }
    let edited: { bytes: Uint8Array; what: string };
    try {
      edited = await edit(original, file);
    } catch {
      // The structure-aware editor could not write what it made: a byte-level edit instead.
      edited = mutateBytes(original, random);
    }
    files.set(file, edited.bytes);
    what = `${file}: ${edited.what}`;
  }
  let total = 0;
  for (const [f, bytes] of files) {
    await mkdir(dirname(join(dir, f)), { recursive: true });
    await writeFile(join(dir, f), bytes);
    total += bytes.byteLength;
  }
  return { dir, target: seed.target, architecture: seed.architecture, bytes: total, what: `${seed.name} ${what}` };
}

/** A .npy whose header dict (shape, dtype, order) lies. */
function npyHeaderEdit(random: () => number): Edit {
  return async (bytes) => {
    const end = Math.min(bytes.length, 10 + (bytes.length >= 10 ? bytes[8]! | (bytes[9]! << 8) : 0));
    const text = utf8Decode(bytes.subarray(0, end), { fatal: false });
    const shapes = [
      "(100000000, 100000000)",
      "(-1,)",
      "(4294967296,)",
      "()",
      "(2, 3, 4, 5, 6, 7, 8)",
      "(0,)",
      "(1e9,)",
    ];
    const dtypes = ["'<f8'", "'|O'", "'<U10'", "'>f4'", "'<c8'", "'<i8'", "'|b1'", "'zz'"];
    const edited =
      random() < 0.5
        ? text.replace(/\([0-9, ]*\)/, pick(shapes, random))
        : text.replace(/'descr': '[^']*'/, `'descr': ${pick(dtypes, random)}`);
    const head = utf8Encode(edited);
    const out = new Uint8Array(head.length + bytes.length - end);
    out.set(head);
    out.set(bytes.subarray(end), head.length);
    return { bytes: out, what: `npy header: ${edited.slice(10, 90)}` };
  };
}
