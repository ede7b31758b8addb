import type { ObjectKind } from "@kerastore/registry";

// Keras 3.15's public names (and the Keras 2 aliases) Kerastore does not implement yet, per kind:
// a config naming one gets "not supported by Kerastore yet", not "unknown". Names only; the
// objects Kerastore has are entries of the registry (installBuiltins).
const lacking: Readonly<Partial<Record<ObjectKind, ReadonlySet<string>>>> = {
  activation: new Set(["glu", "sparse_sigmoid", "sparsemax", "threshold"]),
  initializer: new Set(["STFT", "STFTInitializer", "stft"]),
  loss: new Set([
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "Circle",
    "CTC",
    "Dice",
    "Tversky",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "circle",
    "ctc",
    "dice",
    "tversky",
    "sparse_categorical_hinge",
  ]),
  metric: new Set([
    "BinaryCrossentropy",
    "BinaryIoU",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "ConcordanceCorrelation",
    "CosineSimilarity",
    "F1Score",
    "FBetaScore",
    "FalseNegatives",
    "FalsePositives",
    "Hinge",
    "IoU",
    "KLDivergence",
    "LogCoshError",
    "MeanAbsolutePercentageError",
    "MeanIoU",
    "MeanSquaredLogarithmicError",
    "OneHotIoU",
    "OneHotMeanIoU",
    "PearsonCorrelation",
    "Poisson",
    "PrecisionAtRecall",
    "R2Score",
    "RecallAtPrecision",
    "SensitivityAtSpecificity",
    "SparseCategoricalCrossentropy",
    "SpecificityAtSensitivity",
    "SquaredHinge",
    "TrueNegatives",
    "TruePositives",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "poisson",
  ]),
  // Lower-cased: optimizer names are matched without case.
  optimizer: new Set(["adafactor", "ftrl", "lion", "lamb", "lossscaleoptimizer", "muon"]),
  schedule: new Set(["CosineDecayRestarts", "InverseTimeDecay", "PolynomialDecay"]),
};

const none: ReadonlySet<string> = new Set();

/** The Keras built-in names of `kind` that Kerastore lacks (layers: `kerasLayerNames`). */
export function kerasObjectNames(kind: ObjectKind): ReadonlySet<string> {
  return lacking[kind] ?? none;
}
