"""The Python half of `pnpm test:large` (packages/interop/large/large-interop.ts).

Modes (each prints one JSON line last):
  check <file> <layers>   load a .keras (keras.saving.load_model) or sharded weights
                          (model.load_weights on a model built from the same config) and check
                          every layer's weights against the pattern both sides use
  write <dir> <layers>    build the same model, set the pattern, save py.keras and sharded
                          py.weights.json (1 GB shards)
The pattern: kernel flat index i holds float32((i % 1001) / 1000 - 0.5), layer l's bias holds l.
"""
import json
import resource
import sys
import time

import numpy as np

UNITS = 8192


def pattern():
    i = np.arange(UNITS * UNITS, dtype=np.int64)
    return ((i % 1001) / 1000 - 0.5).astype(np.float32).reshape(UNITS, UNITS)


def build(layers):
    import keras

    model = keras.Sequential([keras.Input(shape=(UNITS,))] + [keras.layers.Dense(UNITS) for _ in range(layers)], name="large")
    return model


def check(model, layers, expected):
    dense = [l for l in model.layers if l.__class__.__name__ == "Dense"]
    assert len(dense) == layers, f"{len(dense)} Dense layers, expected {layers}"
    for index, layer in enumerate(dense):
        kernel, bias = (np.asarray(v) for v in layer.get_weights())
        assert kernel.shape == (UNITS, UNITS) and kernel.dtype == np.float32, (layer.name, kernel.shape, kernel.dtype)
        assert np.all(bias == index), f"{layer.name}: bias {bias[:3]} expected {index}"
        assert np.array_equal(kernel, expected), f"{layer.name}: kernel differs from the pattern"


def main():
    mode, path, layers = sys.argv[1], sys.argv[2], int(sys.argv[3])
    import keras

    out = {"mode": mode, "keras": keras.__version__}
    expected = pattern()
    t0 = time.perf_counter()
    if mode == "check":
        if path.endswith(".keras"):
            model = keras.saving.load_model(path)
        else:
            model = build(layers)
            model.load_weights(path)
        out["load_s"] = time.perf_counter() - t0
        check(model, layers, expected)
    elif mode == "write":
        model = build(layers)
        for index, layer in enumerate(l for l in model.layers if l.__class__.__name__ == "Dense"):
            layer.set_weights([expected, np.full((UNITS,), index, np.float32)])
        t1 = time.perf_counter()
        model.save(f"{path}/py.keras")
        out["save_keras_s"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        model.save_weights(f"{path}/py.weights.json", max_shard_size=1)
        out["save_sharded_s"] = time.perf_counter() - t2
    else:
        raise SystemExit(f"unknown mode {mode}")
    out["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 2**30
    print(json.dumps(out))


main()
