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
- resume: the file of a compiled model; Keras 3 takes one train_on_batch(inputs, targets) step
  from the saved optimizer state, and "diff" compares every weight after it with `expected` (one
  .npy per weight, in model.weights order: the writer's in-memory continuation). A `.keras` loads
  compiled with its optimizer; a legacy `.h5` goes the way reference-quirks.md 2 gives (Keras 3
  restores 2 of its variables): compile from its training_config, build the optimizer, assign
  `optimizer_weights` in order (tf.keras 2 lists no learning rate). `noDropout` sets every dropout
  rate to 0 first, so that both sides take the same deterministic step.
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
    if isinstance(y, dict):  # output_0, output_1, ..., output_10: in numeric order
        return [y[k] for k in sorted(y, key=lambda k: (len(k), k))]
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


def legacy_resumable(path):
    import h5py
    from keras.src.legacy.saving import saving_utils

    model = keras.models.load_model(path, compile=False)
    with h5py.File(path, "r") as f:
        training = json.loads(f.attrs["training_config"])
        names = [n.decode() if isinstance(n, bytes) else n for n in f["optimizer_weights"].attrs["weight_names"]]
        values = [np.asarray(f["optimizer_weights"][n]) for n in names]
    args = saving_utils.compile_args_from_training_config(training)
    model.compile(optimizer=args["optimizer"], loss=args["loss"])
    model.optimizer.build(model.trainable_variables)
    targets = list(model.optimizer.variables)
    if len(values) == len(targets) - 1:  # tf.keras 2's layout lists no learning rate
        targets = [v for v in targets if v.path.split("/")[-1] != "learning_rate"]
    if len(targets) != len(values):
        raise ValueError(f"{len(values)} optimizer_weights for {len(targets)} optimizer variables")
    for v, value in zip(targets, values):
        v.assign(value.reshape(v.shape))
    return model, names


def without_dropout(model):
    """Sets the dropout rates of recurrent layers and cells to 0."""
    for layer in model._flatten_layers(include_self=False, recursive=True):
        for holder in (layer, getattr(layer, "cell", None)):
            if holder is None:
                continue
            for attr in ("dropout", "recurrent_dropout"):
                if isinstance(getattr(holder, attr, None), float) and not isinstance(getattr(type(holder), attr, None), property):
                    setattr(holder, attr, 0.0)


def resume(case):
    x = load_inputs(case)
    y = np.load(case["targets"])
    result = {}
    if case["path"].endswith(".keras"):
        model = keras.models.load_model(case["path"])
    else:
        model, names = legacy_resumable(case["path"])
        result["names"] = names
    if case.get("noDropout", False):
        without_dropout(model)
    result["iterations"] = int(model.optimizer.iterations.numpy())
    result["optimizerVariables"] = len(model.optimizer.variables)
    model.train_on_batch(x, y)
    if len(model.weights) != len(case["expected"]):
        raise ValueError(f"{len(model.weights)} weights, expected {len(case['expected'])}")
    result["diff"] = max(float(np.max(np.abs(np.asarray(w) - np.load(p)))) for w, p in zip(model.weights, case["expected"]))
    return result


def check(case):
    reader = case["reader"]
    if reader == "resume":
        return resume(case)
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
            if hard and case["reader"] not in ("saved_model", "resume"):
                keras_activations.ALL_OBJECTS_DICT["hard_sigmoid"] = KERAS3_HARD_SIGMOID
                out[case["id"]]["hardSigmoidDrift"] = check(case)["diff"]
        except Exception as e:  # noqa: BLE001 - every failure is reported per case
            out[case["id"]] = {"error": f"{type(e).__name__}: {e}"[:2000], "trace": traceback.format_exc()[-1500:]}
        keras.backend.clear_session()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
