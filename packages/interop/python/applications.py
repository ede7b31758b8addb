"""Builds keras.applications architectures (weights=None) at small input sizes, saves each as
.keras and legacy .h5, and writes what Kerastore must reproduce.

Usage: python applications.py OUT_DIR NAME [NAME ...]  ->  prints one JSON line {name: info}.

For each NAME, OUT_DIR/NAME/ gets model.keras, model.h5, input.npy, output.npy (predict), and
the result of one SGD step (learning rate 0.01, mse) on a batch of 8 (train_input.npy,
target.npy) taken after saving: train.json {"loss", "loss64"} and weights_after.npz (the weights
after the step, in model.weights order), and the same step taken in float64
(weights_after64.npz), the exact result that Keras's float32 step and Kerastore's are both
measured against. The step takes 8 samples, not the 2 predicted: training mode normalizes with
batch statistics, which at these sizes come from the batch alone (1x1 maps), and from 2 values
per channel float32 rounding grows without bound through the layers (Keras's own float32 loss
strayed from the float64 one by 12% on EfficientNetB0); from 8 it stays within 2e-5.

Keras's float32 step is also taken on PERMUTATIONS reorderings of the same batch (the exact
step does not depend on the order): train.json "keras_spread" is the largest whole-model update
error of those steps against the float64 one. In a deep ReLU network with BatchNormalization in
training mode a pre-activation within float32 rounding of zero can land on either side, and
one flipped ReLU moves every gradient below it: on ResNet50V2 two of eight orderings of Keras's
own step are 2.5e-3 from the exact update where the given order is 1.5e-4.

Dropout draws a random mask, which no other program can reproduce: the step is taken with every
Dropout rate set to 0 after saving (the saved files keep the architecture's rates; the test does
the same on its side), so the rest of the step is compared exactly.
"""

import json
import pathlib
import sys
import time

import numpy as np
import keras

# classifier_activation=None: the test compares logits (softmax of a randomly initialized net
# saturates to one-hot vectors, which would hide differences). Models with their own
# preprocessing (Rescaling / Normalization layers) take pixels in [0, 255], the others [-1, 1].
PIXELS = {"MobileNetV3Small", "EfficientNetB0", "EfficientNetV2B0", "ConvNeXtTiny"}

TRAIN_BATCH = 8
PERMUTATIONS = 3

ARCHS = {
    "MobileNet": lambda: keras.applications.MobileNet(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None, alpha=0.25, dropout=0.0),
    "MobileNetV2": lambda: keras.applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None, alpha=0.35),
    "MobileNetV3Small": lambda: keras.applications.MobileNetV3Small(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None, dropout_rate=0.0),
    "EfficientNetB0": lambda: keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None),
    "DenseNet121": lambda: keras.applications.DenseNet121(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None),
    "ResNet50": lambda: keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None),
    "ResNet50V2": lambda: keras.applications.ResNet50V2(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None),
    "VGG16": lambda: keras.applications.VGG16(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None),
    "Xception": lambda: keras.applications.Xception(weights=None, input_shape=(71, 71, 3), classes=10, classifier_activation=None),
    "InceptionV3": lambda: keras.applications.InceptionV3(weights=None, input_shape=(75, 75, 3), classes=10, classifier_activation=None),
    "NASNetMobile": lambda: keras.applications.NASNetMobile(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None),
    "ConvNeXtTiny": lambda: keras.applications.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None),
    "EfficientNetV2B0": lambda: keras.applications.EfficientNetV2B0(weights=None, input_shape=(32, 32, 3), classes=10, classifier_activation=None, include_preprocessing=True),
}


def without_dropout(model) -> list:
    """Sets every Dropout rate to 0 (a random mask cannot be compared) and returns the names."""
    names = []
    for layer in model._flatten_layers():
        if isinstance(layer, keras.layers.Dropout) and layer.rate > 0:
            layer.rate = 0.0
            names.append(layer.name)
    return names


def float64_copy(model):
    """The same model computing in float64, with the same weights."""
    config = json.loads(json.dumps(model.get_config()).replace('"float32"', '"float64"'))
    keras.config.set_floatx("float64")
    try:
        copy = model.__class__.from_config(config)
    finally:
        keras.config.set_floatx("float32")
    copy.set_weights([np.asarray(w, np.float64) for w in model.get_weights()])
    return copy


def update_error(model, before, after64) -> float:
    """The distance of the model's trainable weights from the float64 step's, over that update."""
    exact = off = 0.0
    for w, b, e in zip(model.weights, before, after64):
        if w.trainable:
            a = np.asarray(keras.ops.convert_to_numpy(w), np.float64)
            exact += float(((e - b) ** 2).sum())
            off += float(((a - e) ** 2).sum())
    return (off / exact) ** 0.5


def keras_spread(model, before, after64, x, target) -> float:
    """The largest update error of Keras's float32 step over reorderings of the batch."""
    errors = [update_error(model, before, after64)]
    rng = np.random.default_rng(0)
    for _ in range(PERMUTATIONS):
        order = rng.permutation(len(x))
        copy = model.__class__.from_config(model.get_config())
        copy.set_weights(before)
        sgd_step(copy, x[order], target[order])
        errors.append(update_error(copy, before, after64))
    return max(errors)


def sgd_step(model, x, target) -> float:
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    return float(np.asarray(model.train_on_batch(x, target)).reshape(-1)[0])


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    report = {}
    for name in sys.argv[2:]:
        started = time.time()
        d = out / name
        d.mkdir(parents=True, exist_ok=True)
        keras.utils.set_random_seed(7)
        keras.backend.clear_session()
        try:
            model = ARCHS[name]()
        except Exception as error:  # an architecture this Keras cannot build at this size
            report[name] = {"error": f"{type(error).__name__}: {error}"}
            continue
        rng = np.random.default_rng(11)
        shape = (2,) + tuple(int(s) for s in model.inputs[0].shape[1:])
        x = (rng.uniform(0, 255, size=shape) if name in PIXELS else rng.uniform(-1, 1, size=shape)).astype(np.float32)
        y = keras.ops.convert_to_numpy(model(x, training=False)).astype(np.float32)
        np.save(d / "input.npy", x)
        np.save(d / "output.npy", y)
        model.save(d / "model.keras")
        model.save(d / "model.h5")
        train_shape = (TRAIN_BATCH,) + shape[1:]
        x = (rng.uniform(0, 255, size=train_shape) if name in PIXELS else rng.uniform(-1, 1, size=train_shape)).astype(np.float32)
        target = rng.uniform(0, 1, size=(TRAIN_BATCH,) + y.shape[1:]).astype(np.float32)
        np.save(d / "train_input.npy", x)
        np.save(d / "target.npy", target)
        dropped = without_dropout(model)
        model64 = float64_copy(model)
        before = [np.asarray(w) for w in model.get_weights()]
        loss = sgd_step(model, x, target)
        loss64 = sgd_step(model64, x.astype(np.float64), target.astype(np.float64))
        after64 = [np.asarray(keras.ops.convert_to_numpy(w), np.float64) for w in model64.weights]
        spread = keras_spread(model, before, after64, x, target)
        (d / "train.json").write_text(json.dumps({"loss": loss, "loss64": loss64, "dropout_zeroed": dropped, "keras_spread": spread}))
        np.savez(d / "weights_after.npz", *[keras.ops.convert_to_numpy(w) for w in model.weights])
        np.savez(d / "weights_after64.npz", *[keras.ops.convert_to_numpy(w) for w in model64.weights])
        train = True
        classes = sorted({l.__class__.__name__ for l in model._flatten_layers()})
        report[name] = {"params": int(model.count_params()), "weights": len(model.weights), "train": train, "classes": classes, "seconds": round(time.time() - started, 1)}
    print(json.dumps(report))


main()
