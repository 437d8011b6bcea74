// Metrics (shaders/metrics.wgsl): accuracy and confusion matrix (from scores or from predicted
// indices; ties go to the lowest index; rows below and above the 256-thread workgroup) and the row
// normalisation behind cosineSimilarityMatrix (rows of 1, prime and > 64-thread lengths).
import * as sg from '../../src/index.js';
import type { Case, InputSpec } from '../harness.js';

const labels = (n: number, C: number): InputSpec => ({ shape: [n], dtype: 'i32', intMax: C, noGrad: true });
const given = (values: number[]): InputSpec => ({ shape: [values.length], dtype: 'i32', values, noGrad: true });

export const cases: Case[] = [
  // ---- accuracy ----
  { name: 'accuracy N=1 C=4', inputs: [[1, 4], labels(1, 4)], fn: (z, t) => sg.accuracy(z, t), grad: false },
  { name: 'accuracy prime N=13 C=7', inputs: [[13, 7], labels(13, 7)], fn: (z, t) => sg.accuracy(z, t), grad: false },
  { name: 'accuracy N=300 (> workgroup) C=3', inputs: [[300, 3], labels(300, 3)], fn: (z, t) => sg.accuracy(z, t), grad: false },
  {
    name: 'accuracy ties go to the lowest index',
    inputs: [{ shape: [4, 3], values: [1, 1, 1, 0, 2, 2, 5, 1, 5, -1, -1, -2] }, given([0, 1, 2, 0])],
    fn: (z, t) => sg.accuracy(z, t), grad: false,
  },
  { name: 'accuracy from predicted indices', inputs: [labels(17, 3), labels(17, 3)], fn: (p, t) => sg.accuracy(p, t), grad: false },

  // ---- confusion matrix ----
  { name: 'confusionMatrix N=37 K=5', inputs: [[37, 5], labels(37, 5)], fn: (z, t) => sg.confusionMatrix(z, t, 5), grad: false },
  { name: 'confusionMatrix N=1 K=3', inputs: [[1, 3], labels(1, 3)], fn: (z, t) => sg.confusionMatrix(z, t, 3), grad: false },
  { name: 'confusionMatrix N=130 (> 64-thread group) K=2', inputs: [[130, 2], labels(130, 2)], fn: (z, t) => sg.confusionMatrix(z, t, 2), grad: false },
  {
    name: 'confusionMatrix ties → lowest index',
    inputs: [{ shape: [3, 3], values: [0, 0, 0, 1, 3, 3, 2, 2, 1] }, given([2, 1, 0])],
    fn: (z, t) => sg.confusionMatrix(z, t, 3), grad: false,
  },
  { name: 'confusionMatrix from predicted indices K=4', inputs: [labels(23, 4), labels(23, 4)], fn: (p, t) => sg.confusionMatrix(p, t, 4), grad: false },

  // ---- row normalisation and cosine similarity ----
  { name: 'normalizeRows [3,5]', inputs: [[3, 5]], fn: (x) => sg.normalizeRows(x) },
  { name: 'normalizeRows [2,131] (> workgroup)', inputs: [[2, 131]], fn: (x) => sg.normalizeRows(x) },
  { name: 'cosineSimilarityMatrix [5,7]×[3,7]', inputs: [[5, 7], [3, 7]], fn: (a, b) => sg.cosineSimilarityMatrix(a, b) },
  { name: 'cosineSimilarityMatrix [1,1]×[1,1]', inputs: [[1, 1], [1, 1]], fn: (a, b) => sg.cosineSimilarityMatrix(a, b) },
  { name: 'cosineSimilarityMatrix prime [13,11]×[7,11]', inputs: [[13, 11], [7, 11]], fn: (a, b) => sg.cosineSimilarityMatrix(a, b), atol: 1e-4 },
  { name: 'cosineSimilarityMatrix D=130 (> workgroup)', inputs: [[4, 130], [6, 130]], fn: (a, b) => sg.cosineSimilarityMatrix(a, b), atol: 1e-4 },
  {
    name: 'cosineSimilarityMatrix tiny rows clamp to eps', inputs: [{ shape: [2, 3], range: [-1e-7, 1e-7] }, [3, 3]],
    fn: (a, b) => sg.cosineSimilarityMatrix(a, b, 1e-3),
  },
];
