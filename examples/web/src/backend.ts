// The WASM backend's three binaries as Vite assets: Vite copies them into the build and gives
// their URLs, so the backend finds them wherever the app is hosted.
import plain from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url";
import simd from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url";
import threaded from "@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url";
import { keras } from "kerastore";

export function setUpBackend(): Promise<string> {
  return keras.ready({
    wasmPaths: {
      "tfjs-backend-wasm.wasm": plain,
      "tfjs-backend-wasm-simd.wasm": simd,
      "tfjs-backend-wasm-threaded-simd.wasm": threaded,
    },
  });
}
