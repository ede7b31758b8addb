import { CoreError, cannot } from "./errors.js";
import { type Store, type WriteData, basenameOf, dirnameOf, joinPath } from "./store.js";
import { utf8Decode, utf8Encode } from "./utf8.js";

/**
 * Multi-file saves (a TF checkpoint's `.index` and `.data`, a SavedModel directory, sharded
 * weights) committed as one set: readers see the old set or the new one, never a mix.
 *
 * Every file is first written under a staged name beside its final one. When all are complete,
 * a commit record (`.<target>.kerastore-commit`, written atomically) lists the moves: that write
 * is the commit point, as TensorFlow's `checkpoint` state file is for its checkpoints. The
 * staged files are then renamed over the final names and the record removed. A save killed
 * before the record leaves the old set whole (its staged files are removed by the next save);
 * one killed after it is rolled forward by the next save, and until then readers that go
 * through {@link readThroughPendingSaves} see the new set.
 */

const COMMIT_SUFFIX = ".kerastore-commit";
const STAGE_MARK = ".kerastore-stage-";
// Leftovers of writes that died: our staged files, and NodeStore's per-file temporaries.
const LEFTOVER = /^\..+\.(?:kerastore-stage|tmp)-(\d+)-[0-9a-f]+$/;

interface CommitRecord {
  readonly kerastoreCommit: 1;
  /** [staged path, final path] pairs. */
  readonly moves: readonly (readonly [string, string])[];
  /** Paths the save removes (files the old set had that the new one does not). */
  readonly removes: readonly string[];
}

/** Where the commit record of a save to `target` lives. */
export function commitRecordPath(target: string): string {
  return joinPath(dirnameOf(target), `.${basenameOf(target)}${COMMIT_SUFFIX}`);
}

function ownPid(): number {
  return (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
}

function randomHex(): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** True when no process has this id (so its temporary files are leftovers). Unknown: false. */
function processIsGone(pid: number): boolean {
  const proc = (globalThis as { process?: { kill?: (pid: number, signal: number) => void; pid?: number } }).process;
  if (proc?.kill === undefined || pid <= 0 || pid === proc.pid) return false;
  try {
    proc.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: string }).code === "ESRCH";
  }
}

/** Moves a file within a store: its own rename when it has one, else copy and remove. */
export async function moveInStore(store: Store, from: string, to: string): Promise<void> {
  if (store.rename !== undefined) return store.rename(from, to);
  await store.write(to, await store.read(from));
  await store.remove(from);
}

/**
 * A store whose writes go to staged names and whose removals wait for the commit; reads of a
 * path it wrote see the staged file.
 */
class StagingStore implements Store {
  readonly description: string;
  readonly staged = new Map<string, string>();
  readonly removes = new Set<string>();
  /** Directories this save made: a failed save removes them again. */
  readonly madeDirs: string[] = [];

  constructor(
    readonly base: Store,
    readonly token: string,
  ) {
    this.description = base.description;
  }

  #at(path: string): string {
    return this.staged.get(joinPath(path)) ?? path;
  }

  read(path: string): Promise<Uint8Array> {
    return this.base.read(this.#at(path));
  }

  readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.base.readRange(this.#at(path), offset, length);
  }

  size(path: string): Promise<number> {
    return this.base.size(this.#at(path));
  }

  async exists(path: string): Promise<boolean> {
    if (this.staged.has(joinPath(path))) return true;
    if (this.removes.has(joinPath(path))) return false;
    return this.base.exists(path);
  }

  isDirectory(path: string): Promise<boolean> {
    return this.base.isDirectory(path);
  }

  async write(path: string, data: WriteData): Promise<void> {
    const final = joinPath(path);
    const staged = joinPath(dirnameOf(final), `.${basenameOf(final)}${STAGE_MARK}${this.token}`);
    this.staged.set(final, staged);
    this.removes.delete(final);
    await this.base.write(staged, data);
  }

  list(dir: string): Promise<string[]> {
    return this.base.list(dir);
  }

  async mkdir(dir: string): Promise<void> {
    // Each missing ancestor, outermost first, so that a failed save can remove what it made.
    const parts = joinPath(dir).split("/");
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (d !== "" && !(await this.base.exists(d))) this.madeDirs.push(d);
    }
    await this.base.mkdir(dir);
  }

  async remove(path: string): Promise<void> {
    const final = joinPath(path);
    const staged = this.staged.get(final);
    if (staged !== undefined) {
      this.staged.delete(final);
      await this.base.remove(staged);
      return;
    }
    // The old set stays whole until the commit.
    this.removes.add(final);
  }
}

/**
 * Writes a set of files (whatever `write` writes through the store it is given) so that the set
 * at `target` changes all at once; see the module comment. Leftovers of earlier killed saves
 * to the same place are rolled forward or removed first.
 */
export async function writeFileSet(
  store: Store,
  target: string,
  write: (staged: Store) => Promise<void>,
): Promise<void> {
  await settlePendingSave(store, target);
  const staging = new StagingStore(store, `${ownPid()}-${randomHex()}`);
  try {
    await write(staging);
  } catch (error) {
    for (const staged of staging.staged.values()) await store.remove(staged).catch(() => undefined);
    // Directories the save made hold nothing of the old set: they go too.
    for (const dir of [...staging.madeDirs].reverse()) await store.remove(dir).catch(() => undefined);
    throw error;
  }
  const record: CommitRecord = {
    kerastoreCommit: 1,
    moves: [...staging.staged].map(([final, staged]) => [staged, final] as const),
    removes: [...staging.removes],
  };
  const recordPath = commitRecordPath(target);
  await store.write(recordPath, utf8Encode(JSON.stringify(record)));
  await applyRecord(store, record);
  await store.remove(recordPath);
  const dirs = new Set([dirnameOf(target), ...record.moves.map(([, final]) => dirnameOf(final))]);
  for (const dir of dirs) await removeLeftovers(store, dir);
}

async function applyRecord(store: Store, record: CommitRecord): Promise<void> {
  for (const [staged, final] of record.moves) {
    if (await store.exists(staged)) await moveInStore(store, staged, final);
  }
  for (const path of record.removes) await store.remove(path);
}

async function readRecord(store: Store, path: string): Promise<CommitRecord | undefined> {
  let text: string;
  try {
    text = utf8Decode(await store.read(path));
  } catch {
    return undefined;
  }
  try {
    const json = JSON.parse(text) as Partial<CommitRecord>;
    const pair = (m: unknown): m is [string, string] =>
      Array.isArray(m) && m.length === 2 && m.every((p) => typeof p === "string");
    if (
      json.kerastoreCommit !== 1 ||
      !Array.isArray(json.moves) ||
      !json.moves.every(pair) ||
      !Array.isArray(json.removes)
    )
      return undefined;
    // A record names files beside the ones it commits: never a path that climbs out.
    const all = [...json.moves.flat(), ...json.removes];
    if (!all.every((p) => typeof p === "string" && !p.split("/").includes(".."))) return undefined;
    return json as CommitRecord;
  } catch {
    return undefined;
  }
}

/**
 * Finishes a save to `target` that was killed after its commit point (renaming its staged
 * files over the final names), and drops a commit record that is not one.
 */
export async function settlePendingSave(store: Store, target: string): Promise<void> {
  const recordPath = commitRecordPath(target);
  if (!(await store.exists(recordPath))) return;
  const record = await readRecord(store, recordPath);
  if (record !== undefined) await applyRecord(store, record);
  await store.remove(recordPath);
}

/** Removes the staged and temporary files of writes whose process is gone, in `dir`. */
export async function removeLeftovers(store: Store, dir: string): Promise<number> {
  let names: string[];
  try {
    names = await store.list(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = LEFTOVER.exec(name);
    if (m === null || !processIsGone(Number(m[1]))) continue;
    await store.remove(joinPath(dir, name)).catch(() => undefined);
    removed++;
  }
  return removed;
}

/**
 * The store as readers should see it at `path`: when a save there was killed after its commit
 * point, reads of its files go to the staged new ones, so the new set is read whole (nothing
 * is written). Returns `store` itself when there is nothing pending.
 */
export async function readThroughPendingSaves(store: Store, path: string): Promise<Store> {
  const dirs = [dirnameOf(joinPath(path))];
  if (await store.isDirectory(path).catch(() => false)) dirs.push(joinPath(path));
  const redirect = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await store.list(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith(".") || !name.endsWith(COMMIT_SUFFIX)) continue;
      const record = await readRecord(store, joinPath(dir, name));
      if (record === undefined) continue;
      for (const [staged, final] of record.moves) if (await store.exists(staged)) redirect.set(joinPath(final), staged);
    }
  }
  return redirect.size === 0 ? store : new RedirectStore(store, redirect);
}

/** Reads some paths from other names; everything else as the base store. Writes are refused. */
class RedirectStore implements Store {
  readonly description: string;

  constructor(
    readonly base: Store,
    readonly redirect: ReadonlyMap<string, string>,
  ) {
    this.description = base.description;
  }

  #at(path: string): string {
    return this.redirect.get(joinPath(path)) ?? path;
  }

  read(path: string): Promise<Uint8Array> {
    return this.base.read(this.#at(path));
  }

  readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.base.readRange(this.#at(path), offset, length);
  }

  size(path: string): Promise<number> {
    return this.base.size(this.#at(path));
  }

  exists(path: string): Promise<boolean> {
    return this.base.exists(this.#at(path));
  }

  isDirectory(path: string): Promise<boolean> {
    return this.base.isDirectory(path);
  }

  async list(dir: string): Promise<string[]> {
    const names = new Set(await this.base.list(dir));
    for (const final of this.redirect.keys()) if (dirnameOf(final) === joinPath(dir)) names.add(basenameOf(final));
    return [...names].sort();
  }

  write(path: string): Promise<void> {
    return Promise.reject(new CoreError("io", cannot("write", path, "the store is open for reading a pending save")));
  }

  mkdir(dir: string): Promise<void> {
    return Promise.reject(
      new CoreError("io", cannot("make directory", dir, "the store is open for reading a pending save")),
    );
  }

  remove(path: string): Promise<void> {
    return Promise.reject(new CoreError("io", cannot("remove", path, "the store is open for reading a pending save")));
  }
}
