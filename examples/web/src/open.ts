// Every way the page opens a model: a dropped or picked File, a SavedModel folder from the
// directory picker, or a URL.
import { BlobStore } from "@kerastore/core";
import { type SavableModel, keras } from "kerastore";

export interface Opened {
  readonly model: SavableModel;
  readonly name: string;
}

export async function openFile(file: File): Promise<Opened> {
  return { model: await keras.models.loadModel(file), name: file.name };
}

/** A folder picked with `<input webkitdirectory>`: the SavedModel (or unzipped .keras) at its root. */
export async function openFolder(files: FileList): Promise<Opened> {
  const store = BlobStore.fromFiles(files, "folder");
  const root = (files[0]?.webkitRelativePath ?? "").split("/")[0] ?? "";
  return { model: await keras.models.loadModel({ store, path: root }), name: `${root}/` };
}

export async function openUrl(url: string): Promise<Opened> {
  const name = new URL(url, location.href).pathname.split("/").pop() ?? url;
  return { model: await keras.models.loadModel(url), name };
}
