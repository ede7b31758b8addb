import { defineConfig } from "vite";

// Cross-origin isolation (COOP + COEP) lets the WASM backend run its threaded build in the dev
// and preview servers; a page served without these headers runs single-threaded.
const isolation = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  base: "./",
  // h5wasm (the HDF5 fallback, ~5 MB) is its own chunk, fetched only for the rare file that needs it.
  build: { chunkSizeWarningLimit: 6000 },
  server: { headers: isolation },
  preview: { headers: isolation },
});
