import { BodyIn, type BytesIn, Fault, UNDEF, Unsupported } from "./bytes-in.js";
import { readDenseMessages } from "./dense-in.js";
import type { MessageIn } from "./object-header-in.js";
import { MSG } from "./object-header.js";

const MAX_BTREE_DEPTH = 32;
const MAX_LINKS = 10_000_000;
const decoder = new TextDecoder("utf-8");

/** True when the messages make a group (old-style symbol table or new-style link info). */
export function isGroup(messages: readonly MessageIn[]): boolean {
  return messages.some((m) => m.type === MSG.symbolTable || m.type === MSG.linkInfo);
}

/** A group's members: name → object header address, in the order found. */
export function readLinks(file: BytesIn, messages: readonly MessageIn[]): Map<string, number> {
  const out = new Map<string, number>();
  const stab = messages.find((m) => m.type === MSG.symbolTable);
  if (stab !== undefined) {
    const body = new BodyIn(stab.body, "symbol table message");
    readSymbolTable(file, addr(file, body.u64()), addr(file, body.u64()), out);
    return out;
  }
  const linfo = messages.find((m) => m.type === MSG.linkInfo);
  if (linfo !== undefined) {
    const body = new BodyIn(linfo.body, "link info message");
    if (body.u8() !== 0) throw new Unsupported("link info version");
    const flags = body.u8();
    if (flags & 1) body.skip(8);
    const heap = body.u64();
    const names = body.u64();
    if (heap !== UNDEF) {
      for (const bytes of readDenseMessages(file, heap + file.base, names + file.base, 5)) addLink(file, out, bytes);
      return out;
    }
  }
  for (const m of messages) if (m.type === MSG.link) addLink(file, out, m.body);
  return out;
}

function addLink(file: BytesIn, out: Map<string, number>, bytes: Uint8Array): void {
  const [name, address] = readLinkMessage(bytes);
  if (out.size >= MAX_LINKS) throw new Fault("a group has too many links");
  out.set(name, address + file.base);
}

function addr(file: BytesIn, v: number): number {
  return v === UNDEF ? UNDEF : v + file.base;
}

function readLinkMessage(bytes: Uint8Array): [string, number] {
  const body = new BodyIn(bytes, "link message");
  if (body.u8() !== 1) throw new Fault("a link message has an unknown version");
  const flags = body.u8();
  const type = flags & 0x08 ? body.u8() : 0;
  if (flags & 0x04) body.skip(8);
  if (flags & 0x10) body.skip(1);
  const length = body.uint(1 << (flags & 3));
  const name = decoder.decode(body.bytes(length));
  if (type !== 0) throw new Unsupported(`link "${name}" is a soft or external link`);
  const address = body.u64();
  if (address === UNDEF) throw new Fault(`link "${name}" has no address`);
  return [name, address];
}

/** Walks a group's version 1 B-tree and symbol table nodes, naming entries from the local heap. */
function readSymbolTable(file: BytesIn, btree: number, heap: number, out: Map<string, number>): void {
  if (!file.is(heap, "HEAP")) throw new Fault(`no local heap at ${heap}`);
  const segmentSize = file.u64(heap + 8);
  const segment = file.addr(heap + 24);
  const names = file.slice(segment, segmentSize, "a local heap");
  const nameAt = (offset: number): string => {
    if (offset >= segmentSize) throw new Fault("a link name lies outside the local heap");
    const end = names.subarray(offset).indexOf(0);
    if (end < 0) throw new Fault("a link name in the local heap has no end");
    return decoder.decode(names.subarray(offset, offset + end));
  };
  const seen = new Set<number>();
  const visit = (node: number, depth: number): void => {
    if (depth > MAX_BTREE_DEPTH) throw new Fault("a group B-tree is too deep");
    if (seen.has(node)) throw new Fault("a group B-tree loops");
    seen.add(node);
    if (!file.is(node, "TREE")) throw new Fault(`no B-tree node at ${node}`);
    if (file.u8(node + 4) !== 0) throw new Fault("a group B-tree node has the wrong type");
    const level = file.u8(node + 5);
    const used = file.u16(node + 6);
    // Keys (8-byte heap offsets) and children (8-byte addresses) alternate after 24 bytes.
    file.check(node + 24, used * 16 + 8, "a B-tree node");
    for (let i = 0; i < used; i++) {
      const child = file.addr(node + 24 + i * 16 + 8);
      if (level > 0) visit(child, depth + 1);
      else readSymbolNode(file, child, nameAt, out);
    }
  };
  if (btree !== UNDEF) visit(btree, 0);
}

function readSymbolNode(
  file: BytesIn,
  node: number,
  nameAt: (offset: number) => string,
  out: Map<string, number>,
): void {
  if (!file.is(node, "SNOD")) throw new Fault(`no symbol table node at ${node}`);
  const count = file.u16(node + 6);
  file.check(node + 8, count * 40, "a symbol table node");
  for (let i = 0; i < count; i++) {
    const entry = node + 8 + i * 40;
    if (out.size >= MAX_LINKS) throw new Fault("a group has too many links");
    out.set(nameAt(file.u64(entry)), file.addr(entry + 8));
  }
}
