/**
 * Why a zip member name is unsafe to use as a relative path, or `undefined` when it is safe.
 *
 * A safe name is a `/`-separated relative path of non-empty parts, none of them `.` or `..`,
 * with no backslash, no drive letter or colon, no NUL or other control character, and not
 * starting with `/`. Directory entries (a trailing `/`) are allowed and reported by the reader.
 * Checking the name alone, before any store sees it, is what keeps extraction inside its
 * target directory whatever the store does with odd paths.
 */
export function unsafeMemberNameReason(name: string): string | undefined {
  if (name.length === 0) return "the name is empty";
  if (name.length > 4096) return `the name is ${name.length} characters long`;
  if (name.startsWith("/")) return "the name is an absolute path";
  if (name.includes("\\")) return "the name contains a backslash";
  if (name.includes(":")) return "the name contains a colon (a drive letter or stream name)";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse.
  if (/[\u0000-\u001f\u007f]/.test(name)) return "the name contains a control character";
  const parts = (name.endsWith("/") ? name.slice(0, -1) : name).split("/");
  for (const part of parts) {
    if (part === "") return "the name has an empty path part (`//`)";
    if (part === "." || part === "..") return `the name has a \`${part}\` path part`;
  }
  return undefined;
}
