// What the tiny GPT page and its worker (train.worker.ts) share: the run's settings, what the page learns
// about the task, an attention view. Types and one constant only: importing it runs nothing.

export type Corpus = 'names' | 'moby';

export interface Config {
  corpus: Corpus;
  /** Training steps of the run (Stop ends it sooner). */
  steps: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** Steps between validation refreshes. */
  evalEvery: number;
  /** Validation batches (of batchSize windows) scored each time. */
  valBatches: number;
  /** Shorter samples (the page's test mode). */
  short: boolean;
}

/** What the page learns about the task after build(). */
export interface TaskInfo {
  corpus: Corpus;
  vocab: string[];
  blockSize: number;
  bigram: number;
  attentionText: string;
  about: string;
}

/** The attention weights of one layer for a text: [heads, T, T] row-major. */
export interface AttentionView {
  chars: string[];
  layer: number;
  heads: number;
  weights: Float32Array;
  dropped: string[];
}

/** Moby Dick is 1.2 M characters; the page trains on the first MOBY_CHARS of them. */
export const MOBY_CHARS = 200_000;

