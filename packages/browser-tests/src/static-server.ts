import { createReadStream, promises as fs } from "node:fs";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, sep } from "node:path";

/** One request the server answered, for tests that check how a page read a file. */
export interface ServedRequest {
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
  readonly status: number;
  readonly bytes: number;
}

/** Options of {@link startStaticServer}. */
export interface StaticServerOptions {
  /** URL prefixes (`/`, `/realworld/`) and the folders they serve; the longest prefix wins. */
  readonly roots: Readonly<Record<string, string>>;
  /** Send COOP/COEP so pages are cross-origin isolated (SharedArrayBuffer, WASM threads). */
  readonly isolated?: boolean;
}

/** A running static server on 127.0.0.1. */
export interface StaticServer {
  readonly origin: string;
  readonly requests: ServedRequest[];
  close(): Promise<void>;
}

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/**
 * Serves folders over HTTP on 127.0.0.1 (a free port), with `HEAD` and single `Range`
 * requests (206), as a CDN or static host would. Only loopback: the tests reach nothing else.
 */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const requests: ServedRequest[] = [];
  const prefixes = Object.keys(options.roots).sort((a, b) => b.length - a.length);
  const server = createServer((req, res) => {
    serve(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const range = req.headers.range;
    const done = (status: number, bytes: number) => requests.push({ method, path: url.pathname, range, status, bytes });
    if (options.isolated === true) {
      res.setHeader("Cross-Origin-Opener-Policy", "same-origin");
      res.setHeader("Cross-Origin-Embedder-Policy", "require-corp");
    }
    res.setHeader("Cross-Origin-Resource-Policy", "same-origin");
    res.setHeader("Cache-Control", "no-store");
    const file = resolveFile(decodeURIComponent(url.pathname));
    const stat = file === undefined ? undefined : await fs.stat(file).catch(() => undefined);
    if (file === undefined || stat === undefined || !stat.isFile()) {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      done(404, 0);
      return;
    }
    res.setHeader("Content-Type", TYPES[extname(file)] ?? "application/octet-stream");
    res.setHeader("Accept-Ranges", "bytes");
    let start = 0;
    let end = stat.size - 1;
    let status = 200;
    if (range !== undefined) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range);
      if (m === null || Number(m[1]) >= stat.size) {
        res.writeHead(416, { "Content-Range": `bytes */${stat.size}` }).end();
        done(416, 0);
        return;
      }
      start = Number(m[1]);
      end = m[2] === "" ? stat.size - 1 : Math.min(Number(m[2]), stat.size - 1);
      status = 206;
      res.setHeader("Content-Range", `bytes ${start}-${end}/${stat.size}`);
    }
    const length = Math.max(0, end - start + 1);
    res.writeHead(status, { "Content-Length": String(length) });
    if (method === "HEAD" || length === 0) {
      res.end();
      done(status, 0);
      return;
    }
    createReadStream(file, { start, end }).pipe(res);
    done(status, length);
  }

  function resolveFile(pathname: string): string | undefined {
    const prefix = prefixes.find((p) => pathname.startsWith(p));
    if (prefix === undefined) return undefined;
    let rest = pathname.slice(prefix.length);
    if (rest === "" || rest.endsWith("/")) rest += "index.html";
    const root = options.roots[prefix]!;
    const full = normalize(join(root, rest));
    return full.startsWith(normalize(root) + sep) || full === normalize(root) ? full : undefined;
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
