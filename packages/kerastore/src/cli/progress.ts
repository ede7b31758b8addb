import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** Where progress goes: stderr, shown only when it is a terminal. */
export interface ProgressIo {
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress is shown only then). */
  readonly isTTY?: boolean | undefined;
}

/** Options of {@link withProgress}. */
export interface ProgressOptions {
  /** The size from which progress is shown (default 32 MB). */
  readonly threshold?: number;
  /** How often the line is redrawn, in ms (default 250). */
  readonly intervalMs?: number;
}

/** The bytes of a file, or of every file under a directory; 0 when it cannot be read. */
export async function sizeOnDisk(path: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isDirectory()) return s.size;
    let total = 0;
    for (const entry of await readdir(path)) total += await sizeOnDisk(join(path, entry));
    return total;
  } catch {
    return 0;
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * Runs `work`, and on a terminal, for a file of at least `threshold` bytes, keeps one status line
 * on stderr (`kerastore: reading model.h5 (412.3 MB)... 3.0 s`) until it ends, then clears it.
 * Quiet when stderr is not a terminal (pipes, CI) and for small files.
 */
export async function withProgress<T>(
  io: ProgressIo,
  label: string,
  path: string,
  work: () => Promise<T>,
  options: ProgressOptions = {},
): Promise<T> {
  if (io.isTTY !== true) return work();
  const bytes = await sizeOnDisk(path);
  if (bytes < (options.threshold ?? 32e6)) return work();
  const start = Date.now();
  const draw = () =>
    io.stderr(`\r\x1b[Kkerastore: ${label} (${mb(bytes)})... ${((Date.now() - start) / 1000).toFixed(1)} s`);
  draw();
  const timer = setInterval(draw, options.intervalMs ?? 250);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    io.stderr("\r\x1b[K");
  }
}
