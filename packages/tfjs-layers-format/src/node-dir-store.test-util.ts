// Test helper: a read-only Store over a directory of this machine (the tests read what the
// `kerastore` command wrote; Kerastore's own Node store is not part of a public entry).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "@kerastore/core";

export class NodeDirStore implements Store {
  constructor(readonly description: string) {}
  private full(path: string): string {
    return join(this.description, path);
  }
  async read(path: string): Promise<Uint8Array> {
    return new Uint8Array(readFileSync(this.full(path)));
  }
  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return (await this.read(path)).subarray(offset, offset + length);
  }
  async size(path: string): Promise<number> {
    return statSync(this.full(path)).size;
  }
  async exists(path: string): Promise<boolean> {
    try {
      statSync(this.full(path));
      return true;
    } catch {
      return false;
    }
  }
  async isDirectory(path: string): Promise<boolean> {
    return statSync(this.full(path)).isDirectory();
  }
  async list(dir: string): Promise<string[]> {
    return readdirSync(this.full(dir)).sort();
  }
  write(): Promise<void> {
    throw new Error("read-only");
  }
  mkdir(): Promise<void> {
    throw new Error("read-only");
  }
  remove(): Promise<void> {
    throw new Error("read-only");
  }
}
