// Fine-tuning on the few samples the user drew: targets shaped for the model's own loss
// (class ids for a sparse loss, one-hot otherwise), progress reported per epoch.
import { type HostTensor, hostTensor } from "@kerastore/core";
import { type SavableModel, keras } from "kerastore";

export interface Sample {
  readonly x: HostTensor;
  readonly label: number;
}

function stack(samples: readonly Sample[]): HostTensor {
  const first = samples[0]!.x;
  const size = first.data.length;
  const data = new Float32Array(size * samples.length);
  samples.forEach((s, i) => {
    data.set(s.x.data as Float32Array, i * size);
  });
  return hostTensor("float32", [samples.length, ...first.shape.slice(1)], data);
}

function targets(samples: readonly Sample[], classes: number, sparse: boolean): HostTensor {
  if (sparse)
    return hostTensor(
      "float32",
      [samples.length],
      Float32Array.from(samples, (s) => s.label),
    );
  const data = new Float32Array(samples.length * classes);
  samples.forEach((s, i) => {
    data[i * classes + s.label] = 1;
  });
  return hostTensor("float32", [samples.length, classes], data);
}

export async function fineTune(
  model: SavableModel,
  samples: readonly Sample[],
  classes: number,
  epochs: number,
  onEpoch: (epoch: number, loss: number) => void,
): Promise<number[]> {
  // A file saved without its training config has no optimizer: compile it as Keras users would.
  if (model.optimizer === undefined) {
    model.compile({
      optimizer: new keras.optimizers.Adam({ learningRate: 1e-3 }),
      loss: "categorical_crossentropy",
      metrics: ["accuracy"],
    });
  }
  const sparse = /sparse/.test(JSON.stringify((model.compileConfig as { loss?: unknown }).loss ?? ""));
  const history = await model.fit(stack(samples), targets(samples, classes, sparse), {
    epochs,
    batchSize: Math.min(32, samples.length),
    shuffle: true,
    verbose: 0,
    callbacks: [new keras.callbacks.LambdaCallback({ onEpochEnd: (epoch, logs) => onEpoch(epoch, Number(logs.loss)) })],
  });
  return (history.history.loss ?? []) as number[];
}
