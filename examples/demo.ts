// The main demo: what works today, end to end. Grows with each feature.
import { hostTensor, readNpy, writeNpy } from "@kerastore/core";

const t = hostTensor("float32", [2, 2], new Float32Array([1, 2, 3, 4]));
const back = readNpy(writeNpy(t));
console.log(`Kerastore demo: wrote and read a ${back.dtype} .npy of shape [${back.shape.join(", ")}]`);
