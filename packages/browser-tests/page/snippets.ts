// The snippets of docs/browser.md, each as the guide shows it (inside a function so the
// browser test can run it). Keep the two in step: the test runs these, the guide quotes them.
import { BlobStore, type HostTensor, readNpy } from "@kerastore/core";
import { type SavableModel, blobTarget, keras } from "kerastore";

/** docs/browser.md, "Set up the backend". */
export async function setUp(): Promise<string> {
  // Where the three tfjs-backend-wasm*.wasm files are served (copied from
  // node_modules/@tensorflow/tfjs-backend-wasm/dist/, or a bundler's asset URLs).
  return keras.ready({ wasmPaths: "/wasm/" });
}

/** docs/browser.md, "Load from a URL". */
export async function loadFromUrl(url: string): Promise<SavableModel> {
  // A .keras file is read by range: its central directory, then the members it needs.
  const model = await keras.models.loadModel(url);
  return model;
}

/** docs/browser.md, "Load a File the user picked or dropped". */
export function loadFromPicker(input: HTMLInputElement): Promise<SavableModel> {
  return new Promise((resolve, reject) => {
    input.addEventListener("change", () => {
      const file = input.files?.[0];
      if (file !== undefined) keras.models.loadModel(file).then(resolve, reject);
    });
  });
}

/** docs/browser.md, "Load a File the user picked or dropped" (a SavedModel folder). */
export async function loadFromFolder(input: HTMLInputElement): Promise<SavableModel> {
  const files = input.files!;
  const root = files[0]!.webkitRelativePath.split("/")[0]!;
  const store = BlobStore.fromFiles(files);
  const model = await keras.models.loadModel({ store, path: root });
  return model;
}

/** docs/browser.md, "Load from bytes". */
export async function loadFromBytes(url: string): Promise<SavableModel> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  // Any ArrayBuffer or Uint8Array: the format is found from the first bytes.
  return keras.models.loadModel(bytes);
}

/** docs/browser.md, "Save to a download". */
export async function saveToDownload(model: SavableModel): Promise<Blob> {
  const target = blobTarget("model.keras");
  await model.save(target);
  const blob = await target.blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = "model.keras";
  a.click();
  URL.revokeObjectURL(a.href);
  return blob;
}

/** docs/browser.md, "Predict". */
export async function predictNpy(model: SavableModel, npyUrl: string): Promise<HostTensor> {
  const input = readNpy(new Uint8Array(await (await fetch(npyUrl)).arrayBuffer()));
  const output = model.predict(input);
  return Array.isArray(output) ? output[0]! : output;
}
