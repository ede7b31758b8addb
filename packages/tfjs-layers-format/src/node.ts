// The Node entry of @kerastore/tfjs-layers-format (the `node` export condition): everything the
// portable entry has, with a format whose new directories on the local disk are written as one
// durable commit (see writeNewTfjsDirectory) instead of a staged, fsynced set of files.
import type { ModelFormat } from "kerastore";
import { writeNewTfjsDirectory } from "./node-directory.js";
import { type TfjsLayersFormat, tfjsFormatWith } from "./tfjs-format.js";

export * from "./index.js";
export { writeNewTfjsDirectory } from "./node-directory.js";

/** The TensorFlow.js Layers format, writing new directories on disk as one commit. */
export const tfjsLayersFormat: TfjsLayersFormat = tfjsFormatWith(writeNewTfjsDirectory);

/** What the Kerastore CLI and `createFormatRegistry` take from a plug-in package. */
export const kerastoreFormats: readonly ModelFormat[] = [tfjsLayersFormat];
