import type { NumericDType } from "./dtype.js";
import { CoreError, cannot } from "./errors.js";
import type { SavedNode, SavedVariable } from "./saved-tree.js";
import { type HostTensor, type NumericHostTensor, byteSizeOf, formatShape } from "./tensor.js";

/** Fetches one tensor's values (from a file range, a URL range, an archive member). */
export type TensorLoader = () => Promise<HostTensor>;

/**
 * A tensor whose dtype and shape are known but whose values are still in the file.
 *
 * Readers of large files put these in the saved object tree (`values: "lazy"`), so a tree of a
 * 10 GiB model costs its metadata only. `load()` reads the values (each call reads again; keep
 * the result); `data` throws a `not-loaded` CoreError until the variable's value is replaced by
 * what `load()` gave, which `loadTreeValues` does for a whole tree.
 */
export interface PendingTensor extends NumericHostTensor {
  readonly pending: true;
  /** The bytes `load()` will read. */
  readonly byteLength: number;
  /** Where the values are, for messages (`model.h5 /model_weights/dense/dense/kernel:0`). */
  readonly where: string;
  load(): Promise<HostTensor>;
  /**
   * Present where the values lie in the file as they are in memory (one contiguous, unfiltered,
   * little-endian run) and the file is read synchronously (held open on the local disk): copies
   * `target.byteLength` bytes of the values, from byte `start` of them on, into `target`, now.
   * A writer streams them through a buffer it reuses, with no buffer per tensor.
   */
  readonly readBytesInto?: BytesCopier;
}

/** Copies `target.byteLength` bytes of a tensor's values, from byte `start` of them on, into `target`. */
export type BytesCopier = (target: Uint8Array, start: number) => void;

/** A PendingTensor of `dtype` and `shape` whose values `load` fetches. */
export function pendingTensor(
  dtype: NumericDType,
  shape: readonly number[],
  byteLength: number,
  where: string,
  load: TensorLoader,
  readBytesInto?: BytesCopier,
): PendingTensor {
  return {
    pending: true,
    dtype,
    shape,
    byteLength,
    where,
    load,
    ...(readBytesInto === undefined ? {} : { readBytesInto: checkedCopier(readBytesInto, byteLength, where) }),
    get data(): never {
      throw new CoreError(
        "not-loaded",
        cannot(
          "use the values of",
          where,
          `the ${formatShape(shape)} ${dtype} tensor was read lazily and is not loaded yet`,
          "await loadTreeValues(tree) or the variable's value.load()",
        ),
        { path: where },
      );
    },
  } as PendingTensor;
}

/** `copy`, refusing a range outside the tensor's `byteLength` bytes. */
function checkedCopier(copy: BytesCopier, byteLength: number, where: string): BytesCopier {
  return (target, start) => {
    if (!Number.isSafeInteger(start) || start < 0 || start + target.byteLength > byteLength)
      throw new CoreError(
        "io",
        cannot(
          "read",
          where,
          `bytes ${start} to ${start + target.byteLength} are asked for, the tensor holds ${byteLength}`,
        ),
        { path: where },
      );
    copy(target, start);
  };
}

/** True for a tensor whose values are still in the file. */
export function isPendingTensor(tensor: HostTensor): tensor is PendingTensor {
  return (tensor as Partial<PendingTensor>).pending === true;
}

/** Options of {@link loadTreeValues}. */
export interface LoadTreeValuesOptions {
  /** Loads only the variables this accepts (a partial load: the layers a user asks for). Default: all. */
  readonly filter?: ((variable: SavedVariable, nodePath: readonly string[]) => boolean) | undefined;
  /**
   * Told of each variable once its value is loaded, in load order: copy it into a live variable
   * here and drop the tree to keep one copy of the weights in memory.
   */
  readonly onLoaded?: ((variable: SavedVariable, nodePath: readonly string[]) => void | Promise<void>) | undefined;
  /** Reads in flight at once (a second read overlaps the first's copy). Default 2. */
  readonly concurrency?: number | undefined;
}

/**
 * Loads the pending values of a tree, replacing each variable's `value` with its loaded tensor.
 *
 * Each tensor's bytes are read once, into a buffer of their own (no whole-file buffer): the
 * memory a load takes is about the weights' size. Returns the bytes loaded.
 */
export async function loadTreeValues(root: SavedNode, options: LoadTreeValuesOptions = {}): Promise<number> {
  const jobs: { variable: SavedVariable; path: readonly string[] }[] = [];
  const seen = new Set<SavedVariable>();
  for (const { variable, path } of treeVariables(root)) {
    if (seen.has(variable) || !isPendingTensor(variable.value)) continue;
    seen.add(variable);
    if (options.filter !== undefined && !options.filter(variable, path)) continue;
    jobs.push({ variable, path });
  }
  let next = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const pending = job.variable.value as PendingTensor;
      job.variable.value = await pending.load();
      bytes += pending.byteLength;
      await options.onLoaded?.(job.variable, job.path);
    }
  };
  const lanes = Math.max(1, Math.min(options.concurrency ?? 2, jobs.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  return bytes;
}

/** The bytes a tree's variables hold, loaded or not (what `inspect` reports without reading them). */
export function treeByteSize(root: SavedNode): number {
  let total = 0;
  const seen = new Set<SavedVariable>();
  for (const { variable } of treeVariables(root)) {
    if (seen.has(variable)) continue;
    seen.add(variable);
    const value = variable.value;
    if (isPendingTensor(value)) total += value.byteLength;
    else if (value.dtype === "string") for (const item of value.data) total += item.byteLength;
    else total += byteSizeOf(value.dtype, value.shape);
  }
  return total;
}

function* treeVariables(root: SavedNode): Generator<{ variable: SavedVariable; path: readonly string[] }> {
  const nodes = new Set<SavedNode>();
  const stack: { node: SavedNode; path: readonly string[] }[] = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path } = stack.pop()!;
    if (nodes.has(node)) continue;
    nodes.add(node);
    for (const variable of node.variables) yield { variable, path };
    for (const slot of node.slots ?? []) yield { variable: slot.slot, path };
    for (let i = node.children.length - 1; i >= 0; i--) {
      const edge = node.children[i]!;
      stack.push({ node: edge.node, path: [...path, edge.name] });
    }
  }
}
