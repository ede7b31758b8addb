import { type HostTensor, hostTensor, toFloat32 } from "@kerastore/core";
import { readFixtureNpy } from "@kerastore/fixtures";
import { describe, expect, it } from "vitest";
import { fixtureStore } from "./fixture-store.test-util.js";
import { SavedModelError, createFunctionRunner, readSavedModel } from "./index.js";
import { type Mat, backend } from "./js-backend.test-util.js";
import { expectAllClose } from "@kerastore/fixtures/expect-all-close";

const mat = (t: HostTensor): Mat => ({ shape: t.shape, data: toFloat32(t) });
const tensorOf = (m: Mat): HostTensor => hostTensor("float32", [...m.shape], m.data);

describe("createFunctionRunner", () => {
  it("runs the keras export's serving signature and serve function to Python's outputs", async () => {
    const runner = createFunctionRunner(await readSavedModel(fixtureStore("keras_export"), "saved_model"), backend);
    const x = mat(readFixtureNpy("savedmodel", "keras_export", "input0.npy"));
    const y = readFixtureNpy("savedmodel", "keras_export", "output0.npy");
    const out = runner.runSignature("serving_default", { features: x });
    expect(Object.keys(out)).toEqual(["output_0"]);
    expectAllClose(tensorOf(out["output_0"]!), y, { atol: 1e-5 });
    expectAllClose(tensorOf(runner.callFunction("serve", [x]) as Mat), y, { atol: 1e-5 });
  });

  it("runs the tf.Module's signature and __call__ (a dict output) to Python's outputs", async () => {
    const runner = createFunctionRunner(await readSavedModel(fixtureStore("tf_module"), "saved_model"), backend);
    const x = mat(readFixtureNpy("savedmodel", "tf_module", "input0.npy"));
    const y = readFixtureNpy("savedmodel", "tf_module", "output0.npy");
    expectAllClose(tensorOf(runner.runSignature("serving_default", { x })["y"]!), y, { atol: 1e-5 });
    const packed = runner.callFunction("__call__", [x]) as { y: Mat };
    expectAllClose(tensorOf(packed.y), y, { atol: 1e-5 });
  });

  it("names the op, node and function it has no kernel for", async () => {
    const { Tanh: _, ...rest } = backend.kernels;
    const runner = createFunctionRunner(await readSavedModel(fixtureStore("tf_module"), "saved_model"), {
      ...backend,
      kernels: rest,
    });
    const x = mat(readFixtureNpy("savedmodel", "tf_module", "input0.npy"));
    const error = (() => {
      try {
        runner.runSignature("serving_default", { x });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SavedModelError);
    expect(error).toMatchObject({ code: "unsupported" });
    expect((error as Error).message).toMatch(
      /^cannot run node Tanh \(Tanh\) of function __inference___call___\d+: op Tanh has no kernel/,
    );
  });

  it("checks input names, shapes and the function names it is asked for", async () => {
    const runner = createFunctionRunner(await readSavedModel(fixtureStore("tf_module"), "saved_model"), backend);
    const x = mat(hostTensor("float32", [2, 5], new Float32Array(10)));
    expect(() => runner.runSignature("serving_default", { y: x })).toThrow(/takes inputs \[x\], given \[y\]/);
    expect(() => runner.runSignature("serving_default", { x })).toThrow(
      /input x of signature serving_default must be float32 \[\?, 3\], got float32 \[2, 5\]/,
    );
    expect(() => runner.runSignature("nope", { x })).toThrow(
      /has no callable signature of that name; it has serving_default/,
    );
    expect(() => runner.callFunction("missing", [x])).toThrow(/has no such function; it has __call__/);
    expect(() => runner.callFunction("__call__", [x, x])).toThrow(
      /no saved trace fits these 2 arguments: __inference___call___\d+ wants a float32 \[\?, 3\] tensor for argument x|takes 1 tensors/,
    );
  });
});
