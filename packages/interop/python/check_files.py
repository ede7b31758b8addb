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

from keras.src.legacy.saving import saving_utils as legacy_saving_utils

KERAS3_HARD_SIGMOID = keras_activations.ALL_OBJECTS_DICT["hard_sigmoid"]

# A limit of the reference: Keras 3.15's legacy loader pops every layer's `axis` and puts back
# only an int or a one-element list, so a Keras 2 dialect .h5 with LayerNormalization(axis=[1, 2])
# builds axis -1 and refuses its own weights. What it should compute is the layer with the axes
# the file names: give them back before the layer is built.
_legacy_model_from_config = legacy_saving_utils.model_from_config


# The same loader turns a config string that names a Keras function into that function:
# Attention's score_mode "dot" becomes keras.ops.dot and the layer refuses it. What it should
# compute is the layer with the mode the file names: deserialize without it, then set it (before
# the layer is built, so score_mode "concat" still makes its weight).
def _model_from_config_keeping_axes(config, custom_objects=None):
    inner = config.get("config") if isinstance(config, dict) else None
    axis = inner.get("axis") if isinstance(inner, dict) else None
    score_mode = inner.get("score_mode") if isinstance(inner, dict) and config.get("class_name") == "Attention" else None
    if isinstance(score_mode, str):
        config = {**config, "config": {k: v for k, v in inner.items() if k != "score_mode"}}
    layer = _legacy_model_from_config(config, custom_objects)
    if isinstance(score_mode, str):
        layer.score_mode = score_mode
    # UnitNormalization has no build step: it reads `axis` at each call.
    if isinstance(axis, list) and len(axis) > 1 and hasattr(layer, "axis") and (not layer.built or layer.__class__.__name__ == "UnitNormalization"):
        layer.axis = list(axis)
    return layer


legacy_saving_utils.model_from_config = _model_from_config_keeping_axes


def keras2_hard_sigmoid(x):
    return keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)


def outputs_list(y):
    if isinstance(y, dict):  # output_0, output_1, ..., output_10: in numeric order
        return [y[k] for k in sorted(y, key=lambda k: (len(k), k))]
    if isinstance(y, (list, tuple)):
        return list(y)
    return [y]


def serving_input_names(loaded, fn):
    """The serving signature's input names in the model's input order.

    The signature's inputs are a dict (no order); the restored __call__ takes the inputs as a
    list whose specs carry the same names in the model's order (a model with inputs s, img, vol
    must not be fed img, s, vol). Sorted names where __call__ says nothing.
    """
    keys = set(fn.structured_input_signature[1].keys())
    for cf in getattr(getattr(loaded, "__call__", None), "concrete_functions", []):
        args = cf.structured_input_signature[0]
        specs = args[0] if len(args) == 1 and isinstance(args[0], (list, tuple)) else args
        names = [getattr(spec, "name", None) for spec in specs]
        if set(names) == keys:
            return names
    return sorted(keys)


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


def checkpoint_pairs(prefix, layer):
    """(tf.keras 2 checkpoint key, Keras 3 variable) for every weight of `layer` under `prefix`."""
    cls = layer.__class__.__name__
    if cls == "Bidirectional":
        return checkpoint_pairs(f"{prefix}/forward_layer", layer.forward_layer) + checkpoint_pairs(f"{prefix}/backward_layer", layer.backward_layer)
    if cls == "TimeDistributed":
        return checkpoint_pairs(f"{prefix}/layer", layer.layer)
    if isinstance(layer, keras.Model):
        pairs = []
        for i, inner in enumerate(l for l in layer.layers if l.weights):
            pairs += checkpoint_pairs(f"{prefix}/layer_with_weights-{i}", inner)
        return pairs
    if cls == "MultiHeadAttention":
        # tf.keras 2 tracked the projections as attributes _query_dense, ... (EinsumDense).
        return [p for name in ("query", "key", "value", "output") for p in checkpoint_pairs(f"{prefix}/_{name}_dense", getattr(layer, f"{name}_dense"))]
    cell = getattr(layer, "cell", None)
    if cell is not None:
        cells = getattr(cell, "cells", None)
        if cells is not None:
            return [p for i, c in enumerate(cells) for p in checkpoint_pairs(f"{prefix}/cell/cells/{i}", c)]
        return checkpoint_pairs(f"{prefix}/cell", cell)
    return [(f"{prefix}/{v.name}", v) for v in layer.weights]


def read_checkpoint(case, model):
    reader = tf.train.load_checkpoint(case["path"])
    shapes = reader.get_variable_to_shape_map()
    pairs = []
    for index, layer in enumerate(l for l in model.layers if l.weights):
        pairs += checkpoint_pairs(f"layer_with_weights-{index}", layer)
    for key, v in pairs:
        full = f"{key}/.ATTRIBUTES/VARIABLE_VALUE"
        if full not in shapes:
            near = sorted(k for k in shapes if k.startswith(key.split("/")[0] + "/"))
            raise KeyError(f"no {full} in the checkpoint (it has {near})")
        v.assign(reader.get_tensor(full))
    return len(pairs)


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
        names = serving_input_names(loaded, fn)
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
