// The test page: the doc snippets plus a few entry points the Chromium tests call through
// page.evaluate. Built with esbuild for the browser from `kerastore`'s default entry.
import { type HostTensor, toFloat32 } from "@kerastore/core";
import { type SavableModel, keras } from "kerastore";
import { loadShardedLayer } from "./large.js";
import {
  loadFromBytes,
  loadFromFolder,
  loadFromPicker,
  loadFromUrl,
  predictNpy,
  saveToDownload,
  setUp,
} from "./snippets.js";

/** How a test hands the page a file. */
export type Source = { readonly kind: "url" | "bytes" | "file" | "blob"; readonly url: string };

/** A tensor as plain JSON. */
export interface Plain {
  readonly shape: number[];
  readonly data: number[];
}

function plain(t: HostTensor): Plain {
  return { shape: [...t.shape], data: Array.from(toFloat32(t)) };
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot fetch ${url}: ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function open(source: Source): Promise<SavableModel> {
  const name = source.url.slice(source.url.lastIndexOf("/") + 1);
  switch (source.kind) {
    case "url":
      return loadFromUrl(source.url);
    case "bytes":
      return loadFromBytes(source.url);
    case "file":
      return keras.models.loadModel(new File([(await fetchBytes(source.url)) as Uint8Array<ArrayBuffer>], name));
    case "blob":
      return keras.models.loadModel(new Blob([(await fetchBytes(source.url)) as Uint8Array<ArrayBuffer>]));
  }
}

async function weightsInto(model: SavableModel, source: Source): Promise<void> {
  if (source.kind === "url") await model.loadWeights(source.url);
  else await model.loadWeights(await fetchBytes(source.url));
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

const api = {
  setUp,
  /** setUp with the WASM backend's threads named (docs/training.md, "Every core"). */
  setUpThreads(threads: number): Promise<string> {
    return keras.ready({ wasmPaths: "/wasm/", threads });
  },
  loadShardedLayer,
  /** Whether the page is cross-origin isolated, and how many threads the WASM backend runs. */
  async threads(): Promise<{ isolated: boolean; threads: number }> {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    return { isolated: globalThis.crossOriginIsolated === true, threads: wasm.getThreadsCount() };
  },
  async predict(source: Source, input: string, weights?: Source): Promise<Plain> {
    const model = await open(source);
    if (weights !== undefined) await weightsInto(model, weights);
    return plain(await predictNpy(model, input));
  },
  /** Loads `source`, saves it as `.keras` with the download snippet, returns the file and a prediction. */
  async saveKeras(
    source: Source,
    input: string,
  ): Promise<{ file: string; size: number; type: string; prediction: Plain }> {
    const model = await open(source);
    const clicked: string[] = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    };
    try {
      const blob = await saveToDownload(model);
      if (clicked[0] !== "model.keras") throw new Error(`the download link was not clicked (${clicked.join(", ")})`);
      return {
        file: base64(new Uint8Array(await blob.arrayBuffer())),
        size: blob.size,
        type: blob.type,
        prediction: plain(await predictNpy(model, input)),
      };
    } finally {
      HTMLAnchorElement.prototype.click = click;
    }
  },
  /** Loads the file set on the page's <input type=file> through the picker snippet. */
  async predictPicked(input: string): Promise<Plain> {
    if (pending === undefined) throw new Error("the picker was not armed");
    const model = await pending;
    return plain(await predictNpy(model, input));
  },
  /** Loads the folder set on the page's <input webkitdirectory> through the folder snippet. */
  async predictFolder(input: string): Promise<Plain> {
    const model = await loadFromFolder(document.querySelector<HTMLInputElement>("#folder")!);
    return plain(await predictNpy(model, input));
  },
  /** The error a bad source gives, as the page sees it; `keep` truncates fetched bytes first. */
  async loadError(source: Source, keep?: number): Promise<{ name: string; code: string | undefined; message: string }> {
    try {
      if (keep === undefined) await open(source);
      else await keras.models.loadModel((await fetchBytes(source.url)).subarray(0, keep));
    } catch (error) {
      const e = error as Error & { code?: string };
      return { name: e.name, code: e.code, message: e.message };
    }
    throw new Error(`${source.url} loaded, but an error was expected`);
  },
};

let pending: Promise<SavableModel> | undefined;

/** Arms the picker snippet before the test sets the input's files. */
function armPicker(): void {
  const picker = document.querySelector<HTMLInputElement>("#picker");
  if (picker !== null) pending = loadFromPicker(picker);
}

armPicker();
(globalThis as unknown as { kt: typeof api }).kt = api;
document.body.dataset.ready = "true";
