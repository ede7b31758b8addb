// A canvas to draw on (white ink on black, as MNIST digits are), or to show an uploaded
// image, read back at the model's input size as a float tensor in [0, 1].
import { type HostTensor, hostTensor } from "@kerastore/core";

export class DrawPad {
  readonly #canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  #drawing = false;

  constructor(canvas: HTMLCanvasElement) {
    this.#canvas = canvas;
    this.#ctx = canvas.getContext("2d", { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener("pointerdown", (e) => {
      this.#drawing = true;
      canvas.setPointerCapture(e.pointerId);
      this.#ctx.beginPath();
      this.#ctx.moveTo(...this.#at(e));
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!this.#drawing) return;
      this.#ctx.lineTo(...this.#at(e));
      this.#ctx.stroke();
    });
    const stop = () => {
      this.#drawing = false;
    };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
  }

  #at(e: PointerEvent): [number, number] {
    const r = this.#canvas.getBoundingClientRect();
    return [
      ((e.clientX - r.left) * this.#canvas.width) / r.width,
      ((e.clientY - r.top) * this.#canvas.height) / r.height,
    ];
  }

  clear(): void {
    const c = this.#ctx;
    c.fillStyle = "#000";
    c.fillRect(0, 0, this.#canvas.width, this.#canvas.height);
    c.strokeStyle = "#fff";
    c.lineWidth = 22;
    c.lineCap = "round";
    c.lineJoin = "round";
  }

  async showImage(file: File): Promise<void> {
    const bitmap = await createImageBitmap(file);
    this.clear();
    const s = Math.min(this.#canvas.width / bitmap.width, this.#canvas.height / bitmap.height);
    const w = bitmap.width * s;
    const h = bitmap.height * s;
    this.#ctx.drawImage(bitmap, (this.#canvas.width - w) / 2, (this.#canvas.height - h) / 2, w, h);
  }

  /** The drawing as a [1, height, width, channels] float32 tensor in [0, 1]. */
  read(height: number, width: number, channels: number): HostTensor {
    const small = document.createElement("canvas");
    small.width = width;
    small.height = height;
    const ctx = small.getContext("2d", { willReadFrequently: true })!;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(this.#canvas, 0, 0, width, height);
    const rgba = ctx.getImageData(0, 0, width, height).data;
    const data = new Float32Array(height * width * channels);
    for (let p = 0; p < height * width; p++) {
      const [r, g, b] = [rgba[p * 4]! / 255, rgba[p * 4 + 1]! / 255, rgba[p * 4 + 2]! / 255];
      const gray = 0.299 * r + 0.587 * g + 0.114 * b;
      for (let c = 0; c < channels; c++) data[p * channels + c] = channels === 3 ? [r, g, b][c]! : gray;
    }
    return hostTensor("float32", [1, height, width, channels], data);
  }
}
