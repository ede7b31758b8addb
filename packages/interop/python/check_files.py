"""Loads files Kerastore wrote in the readers they are for, and compares predictions.

Usage: python check_files.py cases.json  ->  prints one JSON object {id: result} on its last line.

Each case: {"id", "reader", "path", "architecture"?, "inputs": [npy], "expected": [npy],
"keras2HardSigmoid"?: bool}. Readers:
- load_model: keras.models.load_model(path), then predict.
- load_weights: load_model(architecture, compile=False), every weight set to zero (so a load that
  does nothing fails), model.load_weights(path), then predict.
- saved_model: tf.saved_model.load(path); signatures["serving_default"] and loaded(x).
- checkpoint: tf.train.load_checkpoint(path) reads every tensor; the architecture's weights (set
  to zero first) take the values filed under tf.keras 2's names (layer_with_weights-N/...), then
  predict.
keras2HardSigmoid: the model was defined in Keras 2, whose hard_sigmoid was clip(0.2x + 0.5, 0, 1);
Keras 3's is relu6(x + 3) / 6. Keras 3 readers get Keras 2's definition under that name, as the
reference outputs of ../shared/realworld were made; "hardSigmoidDrift" reports how far Keras 3's own
definition lands from the reference (the change the save warning names).
A result is {"diff": max abs difference over outputs} or {"error": message}.
"""

import json
import sys
import traceback

import numpy as np
import tensorflow as tf
import keras
import keras.src.activations as keras_activations

KERAS3_HARD_SIGMOID = keras_activations.ALL_OBJECTS_DICT["hard_sigmoid"]


def keras2_hard_sigmoid(x):
    return keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)


def outputs_list(y):
    if isinstance(y, dict):
        return [y[k] for k in sorted(y)]
    if isinstance(y, (list, tuple)):
        return list(y)
    return [y]


def max_diff(got, expected_paths):
    got = outputs_list(got)
    if len(got) != len(expected_paths):
        raise ValueError(f"{len(got)} outputs, expected {len(expected_paths)}")
    diff = 0.0
    for g, path in zip(got, expected_paths):
        want = np.load(path)
        g = np.asarray(g)
        if g.shape != want.shape:
            raise ValueError(f"output shape {g.shape}, expected {want.shape}")
        diff = max(diff, float(np.max(np.abs(g.astype(np.float64) - want.astype(np.float64)))))
    return diff


def load_inputs(case):
    xs = [np.load(p) for p in case["inputs"]]
    return xs[0] if len(xs) == 1 else xs


def zero_weights(model):
    for v in model.weights:
        v.assign(np.zeros(v.shape, dtype=v.dtype))


def architecture(case):
    model = keras.models.load_model(case["architecture"], compile=False)
    zero_weights(model)
    return model


def checkpoint_key(layer_index, variable, owner):
    """The tf.keras 2 checkpoint path of a Keras 3 variable inside layer `owner`."""
    parts = variable.path.split("/")[1:]  # drop the layer's own name
    name = parts[-1]
    if owner.__class__.__name__ == "Bidirectional":
        side = "forward_layer" if parts[0].startswith("forward") else "backward_layer"
        inner = parts[1:-1]
        cell = "/cell" if inner else ""
        return f"layer_with_weights-{layer_index}/{side}{cell}/{name}"
    if len(parts) > 1 and hasattr(owner, "cell"):
        return f"layer_with_weights-{layer_index}/cell/{name}"
    if owner.__class__.__name__ == "TimeDistributed":
        return f"layer_with_weights-{layer_index}/layer/{name}"
    return f"layer_with_weights-{layer_index}/{name}"


def read_checkpoint(case, model):
    reader = tf.train.load_checkpoint(case["path"])
    shapes = reader.get_variable_to_shape_map()
    used = set()
    index = 0
    for layer in model.layers:
        if not layer.weights:
            continue
        for v in layer.weights:
            key = checkpoint_key(index, v, layer) + "/.ATTRIBUTES/VARIABLE_VALUE"
            if key not in shapes:
                raise KeyError(f"no {key} in the checkpoint (it has {sorted(k for k in shapes if k.startswith(f'layer_with_weights-{index}/'))})")
            v.assign(reader.get_tensor(key))
            used.add(key)
        index += 1
    return len(used)


def check(case):
    reader = case["reader"]
    x = load_inputs(case)
    result = {}
    if reader == "load_model":
        model = keras.models.load_model(case["path"])
        result["diff"] = max_diff(model.predict(x, verbose=0), case["expected"])
        result["compiled"] = bool(getattr(model, "compiled", False))
        if result["compiled"] and model.optimizer is not None:
            result["optimizer"] = model.optimizer.__class__.__name__
            result["optimizerVariables"] = len(model.optimizer.variables)
    elif reader == "load_weights":
        model = architecture(case)
        model.load_weights(case["path"])
        result["diff"] = max_diff(model.predict(x, verbose=0), case["expected"])
    elif reader == "checkpoint":
        model = architecture(case)
        result["restored"] = read_checkpoint(case, model)
        result["diff"] = max_diff(model.predict(x, verbose=0), case["expected"])
    elif reader == "saved_model":
        loaded = tf.saved_model.load(case["path"])
        fn = loaded.signatures["serving_default"]
        names = sorted(fn.structured_input_signature[1].keys())
        xs = x if isinstance(x, list) else [x]
        served = fn(**{n: tf.constant(v) for n, v in zip(names, xs)}) if len(names) == len(xs) else None
        result["diff"] = max_diff(loaded(tf.constant(x) if not isinstance(x, list) else [tf.constant(v) for v in x]), case["expected"])
        if served is not None:
            result["servingDiff"] = max_diff(served, case["expected"])
    else:
        raise ValueError(f"unknown reader {reader}")
    return result


def main():
    cases = json.load(open(sys.argv[1]))
    out = {}
    for case in cases:
        hard = case.get("keras2HardSigmoid", False)
        keras_activations.ALL_OBJECTS_DICT["hard_sigmoid"] = keras2_hard_sigmoid if hard else KERAS3_HARD_SIGMOID
        try:
            out[case["id"]] = check(case)
            if hard and case["reader"] != "saved_model":
                keras_activations.ALL_OBJECTS_DICT["hard_sigmoid"] = KERAS3_HARD_SIGMOID
                out[case["id"]]["hardSigmoidDrift"] = check(case)["diff"]
        except Exception as e:  # noqa: BLE001 - every failure is reported per case
            out[case["id"]] = {"error": f"{type(e).__name__}: {e}"[:2000], "trace": traceback.format_exc()[-1500:]}
        keras.backend.clear_session()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
