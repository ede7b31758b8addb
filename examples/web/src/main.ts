import "./style.css";
import type { HostTensor } from "@kerastore/core";
import { type SavableModel, blobTarget } from "kerastore";
import { setUpBackend } from "./backend.js";
import { DrawPad } from "./draw-pad.js";
import { type Sample, fineTune } from "./fine-tune.js";
import { showLayers } from "./layers-view.js";
import { type Opened, openFile, openFolder, openUrl } from "./open.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $("status");
const pad = new DrawPad($<HTMLCanvasElement>("pad"));

let model: SavableModel | undefined;
let modelName = "model";
let image: { height: number; width: number; channels: number } | undefined;
let classes = 0;
const samples: Sample[] = [];

function say(text: string, kind: "ok" | "busy" | "error" = "ok"): void {
  status.textContent = text;
  status.className = `status ${kind}`;
}

async function busy<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
  say(what, "busy");
  try {
    return await fn();
  } catch (error) {
    console.warn(error);
    say(error instanceof Error ? error.message : String(error), "error");
    return undefined;
  }
}

function shapeOf(m: SavableModel, which: "inputs" | "outputs"): readonly (number | null)[] | undefined {
  return (m as unknown as Record<string, { shape: (number | null)[] }[] | undefined>)[which]?.[0]?.shape;
}

async function show(opened: Opened | undefined): Promise<void> {
  if (opened === undefined) return;
  model = opened.model;
  modelName = opened.name.replace(/\/$/, "").replace(/\.(h5|hdf5|keras|json)$/i, "");
  samples.length = 0;
  $("samples").textContent = "0 samples";
  const params = model.countParams();
  $("model-name").innerHTML =
    `<b>${opened.name}</b> · ${model.className} · ${model.layers.length} layers · ${params.toLocaleString("en")} parameters`;
  showLayers(model, $<HTMLTableElement>("layers").tBodies[0]!, $("summary"));
  $("inspect").hidden = false;

  const input = shapeOf(model, "inputs");
  const output = shapeOf(model, "outputs");
  image =
    input?.length === 4 && input.every((d, i) => i === 0 || typeof d === "number")
      ? { height: input[1]!, width: input[2]!, channels: input[3]! }
      : undefined;
  classes = output?.length === 2 && typeof output[1] === "number" ? output[1] : 0;
  const canPredict = image !== undefined && classes > 0;
  $("predict").hidden = !canPredict;
  $("train").hidden = !canPredict;
  if (canPredict) {
    $("input-shape").textContent =
      `Input ${image!.height}×${image!.width}×${image!.channels}, ${classes} classes. Draw with the mouse (white on black), or upload a picture.`;
    $<HTMLSelectElement>("label").replaceChildren(
      ...Array.from({ length: classes }, (_, i) => new Option(`class ${i}`, String(i))),
    );
    $("bars").replaceChildren();
  }
  say(`loaded ${opened.name}`);
}

function currentInput(): HostTensor {
  return pad.read(image!.height, image!.width, image!.channels);
}

function predict(): void {
  if (model === undefined || image === undefined) return;
  const out = model.predict(currentInput());
  const y = Array.from((Array.isArray(out) ? out[0]! : out).data as Float32Array);
  const best = y.indexOf(Math.max(...y));
  const top = Math.max(...y.map(Math.abs), 1e-9);
  $("bars").replaceChildren(
    ...y.map((v, i) => {
      const row = document.createElement("div");
      row.className = i === best ? "bar best" : "bar";
      row.innerHTML = `<span class="k">${i}</span><span class="track"><span class="fill" style="width:${(100 * Math.abs(v)) / top}%"></span></span><span class="v">${v.toFixed(3)}</span>`;
      return row;
    }),
  );
  $("bars").dataset.best = String(best);
  say(`predicted class ${best}`);
}

$<HTMLInputElement>("file").addEventListener("change", (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file !== undefined) void busy(`loading ${file.name}…`, () => openFile(file)).then(show);
});
$<HTMLInputElement>("folder").addEventListener("change", (e) => {
  const files = (e.target as HTMLInputElement).files;
  if (files !== null && files.length > 0) void busy("loading the folder…", () => openFolder(files)).then(show);
});
$("url-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const url = $<HTMLInputElement>("url").value.trim();
  if (url !== "") void busy(`fetching ${url}…`, () => openUrl(url)).then(show);
});
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const file = e.dataTransfer?.files[0];
  if (file !== undefined) void busy(`loading ${file.name}…`, () => openFile(file)).then(show);
});

$("clear").addEventListener("click", () => pad.clear());
$<HTMLInputElement>("image").addEventListener("change", (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file !== undefined) void pad.showImage(file).then(predict);
});
$("run").addEventListener("click", predict);

$("add").addEventListener("click", () => {
  if (image === undefined) return;
  samples.push({ x: currentInput(), label: Number($<HTMLSelectElement>("label").value) });
  $("samples").textContent = `${samples.length} sample${samples.length === 1 ? "" : "s"}`;
  pad.clear();
});

$("fit").addEventListener("click", () => {
  if (model === undefined || samples.length === 0) {
    say("add a sample or two first", "error");
    return;
  }
  const epochs = Math.max(1, Number($<HTMLInputElement>("epochs").value) || 1);
  const bar = $("bar");
  const log = $("fit-log");
  bar.style.width = "0%";
  void busy(`fine-tuning on ${samples.length} samples…`, async () => {
    const losses = await fineTune(model!, samples, classes, epochs, (epoch, loss) => {
      bar.style.width = `${(100 * (epoch + 1)) / epochs}%`;
      log.textContent = `epoch ${epoch + 1}/${epochs} · loss ${loss.toPrecision(4)}`;
    });
    log.textContent = `done: loss ${losses[0]?.toPrecision(4)} → ${losses.at(-1)?.toPrecision(4)} over ${epochs} epochs`;
    $("train").dataset.done = "true";
    say("fine-tuned");
  });
});

$("download").addEventListener("click", () => {
  if (model === undefined) return;
  void busy("saving…", async () => {
    const target = blobTarget(`${modelName}-finetuned.keras`);
    await model!.save(target);
    const a = document.createElement("a");
    a.href = URL.createObjectURL(await target.blob());
    a.download = target.path;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    say(`saved ${target.path}`);
  });
});

void busy("starting the WASM backend…", async () => {
  const backend = await setUpBackend();
  say(`ready · ${backend}${globalThis.crossOriginIsolated ? " (threads)" : ""}`);
  document.body.dataset.ready = "true";
  const url = new URLSearchParams(location.search).get("model");
  if (url !== null) await show(await openUrl(url));
});
