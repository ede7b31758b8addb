import { type H5WriteFile, buildH5File } from "./h5-write-file.js";
import { nativeH5Writer } from "./native/native-writer.js";

/**
 * Which HDF5 writer builds a file: `native` (pure TypeScript, streams, every Keras dtype) or
 * `h5wasm` (the HDF5 C library in WebAssembly; no float16, bfloat16 or bool).
 */
export type H5WriteBackend = "native" | "h5wasm";

/** Runs `body` against the native writer and returns the file as chunks (tensor bytes not copied). */
export function nativeChunks(name: string, body: (file: H5WriteFile) => void): Uint8Array[] {
  const writer = nativeH5Writer(name);
  body(writer.file);
  return writer.finish();
}

/** Builds a whole file with the chosen backend. */
export async function buildWith(
  backend: H5WriteBackend,
  name: string,
  body: (file: H5WriteFile) => void,
  sizeHint: number,
): Promise<Uint8Array> {
  if (backend === "h5wasm") return buildH5File(name, body, sizeHint);
  return concatChunks(nativeChunks(name, body));
}

/** The chunks joined into one buffer. */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
