import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CoreError } from "../errors.js";
import { HttpStore } from "./http-store.js";

// A real HTTP server on 127.0.0.1: /ranged/ honours Range, /plain/ ignores it (200, whole file).
const FILE = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
const seen: { path: string; method: string; range: string | undefined }[] = [];

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://x");
  seen.push({ path: url.pathname, method: req.method ?? "GET", range: req.headers.range });
  if (!url.pathname.endsWith("/model.bin")) {
    res.writeHead(404).end();
    return;
  }
  const ranged = url.pathname.startsWith("/ranged/");
  const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? "");
  if (ranged && m !== null) {
    const [start, end] = [Number(m[1]), Math.min(Number(m[2]), FILE.length - 1)];
    if (start >= FILE.length) {
      res.writeHead(416, { "Content-Range": `bytes */${FILE.length}` }).end();
      return;
    }
    res.writeHead(206, {
      "Content-Range": `bytes ${start}-${end}/${FILE.length}`,
      "Content-Length": String(end - start + 1),
    });
    res.end(req.method === "HEAD" ? undefined : Buffer.from(FILE.subarray(start, end + 1)));
    return;
  }
  res.writeHead(200, { "Content-Length": String(FILE.length) });
  res.end(req.method === "HEAD" ? undefined : Buffer.from(FILE));
}

describe("HttpStore", () => {
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    server = createServer(handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads whole files, sizes by HEAD, and ranges by Range requests", async () => {
    const store = new HttpStore(`${origin}/ranged/`);
    expect(await store.read("model.bin")).toEqual(FILE);
    expect(await store.size("model.bin")).toBe(1000);
    seen.length = 0;
    expect(await store.readRange("model.bin", 990, 10)).toEqual(FILE.subarray(990, 1000));
    expect(seen).toEqual([{ path: "/ranged/model.bin", method: "GET", range: "bytes=990-999" }]);
    expect(await store.readRange("model.bin", 5, 0)).toEqual(new Uint8Array(0));
  });

  it("keeps the whole file when the server ignores ranges, and slices later ranges from it", async () => {
    const store = new HttpStore(`${origin}/plain/`);
    seen.length = 0;
    expect(await store.readRange("model.bin", 10, 5)).toEqual(FILE.subarray(10, 15));
    expect(await store.readRange("model.bin", 100, 5)).toEqual(FILE.subarray(100, 105));
    expect(seen.length).toBe(1);
  });

  it("says not-found for a missing file, and rejects ranges past the end", async () => {
    const store = new HttpStore(`${origin}/ranged/`);
    expect(await store.exists("model.bin")).toBe(true);
    expect(await store.exists("missing.bin")).toBe(false);
    await expect(store.read("missing.bin")).rejects.toMatchObject({
      code: "not-found",
      message: expect.stringMatching(/cannot fetch .*missing\.bin: the server answered 404/),
    });
    await expect(store.readRange("model.bin", 2000, 10)).rejects.toThrow(/runs past the end/);
    await expect(new HttpStore(`${origin}/plain/`).readRange("model.bin", 995, 10)).rejects.toThrow(
      /the file has 1000 bytes/,
    );
  });

  it("is read-only, with a typed error that says what to use instead", async () => {
    const store = new HttpStore(`${origin}/ranged/`);
    await expect(store.write("x.keras")).rejects.toBeInstanceOf(CoreError);
    await expect(store.write("x.keras")).rejects.toThrow(/read-only; save to a blobTarget\(\)/);
    await expect(store.list("")).rejects.toThrow(/HTTP cannot list/);
  });

  it("names a server that cannot be reached", async () => {
    const store = new HttpStore("http://127.0.0.1:9/");
    await expect(store.read("model.bin")).rejects.toMatchObject({
      code: "io",
      message: expect.stringMatching(/^cannot fetch http:\/\/127\.0\.0\.1:9\/model\.bin/),
    });
  });
});
