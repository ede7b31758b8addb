// What every profile script (src/*-profile.ts) starts with: the engine's backend, and one line
// saying how many WASM threads it runs and how loaded the machine is (kernel times are wall
// times: a loaded machine inflates them), and the median its tables print.
import { loadavg } from "node:os";
import { initBackend, wasmThreading } from "@kerastore/engine";

/** Starts the backend (`threads`: the engine's default when absent) and prints threads and load. */
export async function startProfile(threads?: number): Promise<void> {
  await initBackend(threads === undefined ? {} : { threads });
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  console.log(`threads ${JSON.stringify(wasmThreading())}, load ${load}`);
}

/** The median of `values` (the upper one of an even count). */
export function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}
