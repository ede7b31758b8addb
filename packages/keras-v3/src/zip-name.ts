import { utf8Decode, utf8Encode } from "@kerastore/core";
// Code page 437, bytes 0x80..0xFF: what zip tools assume when a name's UTF-8 flag is clear.
const CP437_HIGH =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";

/**
 * Decodes a member name as zip defines it: UTF-8 when flag bit 11 is set, else code page 437
 * (as Python's zipfile does). Returns `undefined` for a flagged name that is not valid UTF-8.
 */
export function decodeZipName(bytes: Uint8Array, isUtf8: boolean): string | undefined {
  if (isUtf8) {
    try {
      return utf8Decode(bytes, { fatal: true });
    } catch {
      return undefined;
    }
  }
  let out = "";
  for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]!;
  return out;
}

/** Encodes a member name; returns the bytes and whether the UTF-8 flag must be set. */
export function encodeZipName(name: string): { bytes: Uint8Array; utf8: boolean } {
  const bytes = utf8Encode(name);
  return { bytes, utf8: bytes.some((b) => b >= 0x80) };
}
