/** The `.index` file of a checkpoint prefix (`MetaFilename`). */
export function indexFileName(prefix: string): string {
  return `${prefix}.index`;
}

/** The data shard file of a checkpoint prefix (`DataFilename`): `prefix.data-00000-of-00001`. */
export function dataFileName(prefix: string, shard: number, shards: number): string {
  return `${prefix}.data-${String(shard).padStart(5, "0")}-of-${String(shards).padStart(5, "0")}`;
}
