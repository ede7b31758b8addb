/**
 * UTF-8 through the platform's TextEncoder / TextDecoder (every runtime Kerastore targets has
 * them), typed here so that packages build without the DOM or Node type libraries.
 */
interface TextCodecs {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (label?: string, options?: { fatal?: boolean }) => { decode(bytes: Uint8Array): string };
}

const codecs = globalThis as unknown as TextCodecs;
const encoder = new codecs.TextEncoder();
const lenient = new codecs.TextDecoder("utf-8");
const strict = new codecs.TextDecoder("utf-8", { fatal: true });

/** The UTF-8 bytes of `text`. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * `bytes` decoded as UTF-8. Invalid sequences become U+FFFD, or throw a TypeError with
 * `{ fatal: true }`.
 */
export function utf8Decode(bytes: Uint8Array, options: { fatal?: boolean } = {}): string {
  return (options.fatal === true ? strict : lenient).decode(bytes);
}
