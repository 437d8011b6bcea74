// Shared by the step benchmarks that compare two plans of the same training steps (bench/tune.ts,
// bench/mixed.ts): flag parsing, the adapter line, deterministic batches and the step description.
import * as sg from '../src/index.js';
import type { Tensor } from '../src/index.js';

/** The value after `--name` on the command line, or `def`. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

/** The adapter, as the benchmarks print it first. */
export function adapterLine(info: sg.DeviceInfo): string {
  return `adapter: ${info.vendor} ${info.architecture} ${info.description}${info.software ? ' (software)' : ''}`;
}

/** n deterministic values in [−0.8, 0.8]. */
export const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.8);
/** n class labels cycling through 0 … k − 1. */
export const labels = (n: number, k: number) => Int32Array.from({ length: n }, (_, i) => i % k);

/** A training step to compile: the model, its loss, the step's inputs and one batch of data. */
export interface StepModel {
  name: string;
  build: () => sg.nn.Module;
  loss: (m: sg.nn.Module, x: Tensor, y: Tensor) => Tensor;
  inputs: { shape: number[]; dtype?: 'f32' | 'i32' }[];
  data: (Float32Array | Int32Array)[];
}

/** The median of xs. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
