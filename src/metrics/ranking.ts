// Ranking metrics on the CPU for retrieval: a score matrix scores[q][c] (query q × candidate c, higher =
// ranked earlier), e.g. the similarities of query embeddings to candidate embeddings.
//
//   recallAtK(scores, relevant, k)  share of queries whose one relevant candidate (relevant[q]) is in the
//                                   top k (= sklearn's top_k_accuracy_score when there are no ties)
//   mrr(scores, relevant)           mean of 1 / rank of the relevant candidate (= sklearn's
//                                   label_ranking_average_precision_score with one relevant label per
//                                   query, when there are no ties)
//   ndcg(scores, relevance, k?)     sklearn's ndcg_score: graded relevance rel[q][c] ≥ 0, linear gain,
//                                   DCG@k = Σ_{rank r ≤ k} rel / log2(r + 1), divided by the ideal DCG@k
//                                   (candidates sorted by relevance); a query with no relevant candidate
//                                   scores 0; the result is the mean over queries
//
// Ties are averaged over every order of the tied candidates, as sklearn's ndcg_score (ignore_ties=False,
// McSherry & Najork 2008). For the relevant candidate with g candidates scoring strictly higher and
// t − 1 others scoring the same, its rank is equally likely to be any of g+1 … g+t, so
//   recall@k counts min(1, max(0, (k − g) / t)) and MRR counts mean_{r = g+1 … g+t} 1/r.
// (sklearn's top_k_accuracy_score instead ranks tied higher indices first, and its LRAP takes the
// worst rank g + t.)
//
// Inputs: scores and relevance as a Tensor [Q, C] (then the result is a Promise: the values are read
// back), rows (number[][] or typed-array rows) or { values, shape: [Q, C] } with flat row-major values;
// recallAtK and mrr also take flat scores of relevant.length rows. `relevant`: Int32Array / number[]
// (or an i32 Tensor [Q]) of candidate indices in [0, C).

import { Tensor } from '../tensor/tensor.js';
import { failIn, ShapeError, OptionError, type Fail } from '../util/errors.js';

const fail: Fail = failIn('metrics');

/** A [Q, C] matrix given on the host: rows, or flat row-major values with their shape. */
export type HostMatrix = ArrayLike<ArrayLike<number>> | { values: ArrayLike<number>; shape: readonly [number, number] };
/** A [Q, C] matrix: on the host, or a Tensor (read back). */
export type MatrixInput = HostMatrix | Tensor;
/** One index per query: on the host, or an i32 Tensor [Q]. */
export type IndexInput = ArrayLike<number> | Tensor;

interface Matrix {
  values: ArrayLike<number>;
  rows: number;
  cols: number;
}

const isTensor = (a: unknown): a is Tensor => a instanceof Tensor;

/** A host matrix as flat values; `rowsHint` lets a flat array stand for that many rows. */
function toMatrix(fn: string, name: string, a: HostMatrix | ArrayLike<number>, rowsHint?: number): Matrix {
  if (a === null || typeof a !== 'object') fail(fn, `${name} must be a Tensor [Q, C], rows (number[][]) or { values, shape: [Q, C] }, got ${String(a)}`);
  if ('shape' in a && 'values' in a) {
    const { values, shape } = a;
    if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(fn, `${name}.shape must be [Q, C] (two integers ≥ 0), got ${JSON.stringify(shape)}`, ShapeError);
    }
    if (values.length !== shape[0] * shape[1]) fail(fn, `${name}.values has ${values.length} values but shape [${shape.join(', ')}] needs ${shape[0] * shape[1]}`, ShapeError);
    return { values, rows: shape[0], cols: shape[1] };
  }
  const arr = a as ArrayLike<unknown>;
  if (typeof arr.length !== 'number') fail(fn, `${name} must be a Tensor [Q, C], rows (number[][]) or { values, shape: [Q, C] }`);
  if (arr.length === 0) return { values: [], rows: 0, cols: 0 };
  if (typeof arr[0] === 'object' && arr[0] !== null) {
    const rows = arr as ArrayLike<ArrayLike<number>>;
    const cols = rows[0].length;
    const values = new Float64Array(rows.length * cols);
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (!r || typeof r !== 'object' || r.length !== cols) fail(fn, `${name}[${i}] has ${r && typeof r === 'object' ? r.length : 'no'} values but ${name}[0] has ${cols}: rows must all have the same length`, ShapeError);
      for (let j = 0; j < cols; j++) values[i * cols + j] = r[j];
    }
    return { values, rows: rows.length, cols };
  }
  const flat = arr as ArrayLike<number>;
  if (rowsHint === undefined) fail(fn, `${name} is a flat array: pass rows (number[][]), a Tensor [Q, C] or { values, shape: [Q, C] }`, ShapeError);
  if (rowsHint === 0 || flat.length % rowsHint !== 0) fail(fn, `${name} is a flat array of ${flat.length} values, which does not divide into ${rowsHint} queries (one per relevant index)`, ShapeError);
  return { values: flat, rows: rowsHint, cols: flat.length / rowsHint };
}

async function readMatrix(fn: string, name: string, t: Tensor): Promise<HostMatrix> {
  if (t.rank !== 2) fail(fn, `${name} must be a [Q, C] tensor, got ${t.describe()}`, ShapeError);
  return { values: await t.data(), shape: [t.shape[0], t.shape[1]] };
}

async function readIndices(fn: string, name: string, t: Tensor): Promise<ArrayLike<number>> {
  if (t.rank !== 1) fail(fn, `${name} must be a 1-D tensor of candidate indices [Q], got ${t.describe()}`, ShapeError);
  return t.data();
}

function checkScores(fn: string, name: string, m: Matrix): void {
  if (m.rows === 0) fail(fn, `${name} has no queries`, ShapeError);
  if (m.cols === 0) fail(fn, `${name} has no candidates`, ShapeError);
  for (let i = 0; i < m.values.length; i++) {
    if (!Number.isFinite(m.values[i])) fail(fn, `${name}[${Math.floor(i / m.cols)}][${i % m.cols}] = ${m.values[i]} is not finite`);
  }
}

function checkK(fn: string, k: unknown): asserts k is number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) fail(fn, `k must be an integer ≥ 1, got ${String(k)}`, OptionError);
}

/** g = candidates of row q scoring strictly higher than candidate c, t = those scoring the same (c included). */
function rankOf(m: Matrix, q: number, c: number): { g: number; t: number } {
  const base = q * m.cols;
  const s = m.values[base + c];
  let g = 0;
  let t = 0;
  for (let j = 0; j < m.cols; j++) {
    const v = m.values[base + j];
    if (v > s) g++;
    else if (v === s) t++;
  }
  return { g, t };
}

/** Checked scores and relevant indices (host values), then `score(rank)` averaged over the queries. */
function meanOverRelevant(fn: string, scoresIn: HostMatrix | ArrayLike<number>, relevant: ArrayLike<number>, score: (g: number, t: number) => number): number {
  if (relevant === null || typeof relevant !== 'object' || typeof relevant.length !== 'number') fail(fn, 'relevant must be an Int32Array or number[] of candidate indices, one per query');
  const m = toMatrix(fn, 'scores', scoresIn, relevant.length);
  checkScores(fn, 'scores', m);
  if (relevant.length !== m.rows) fail(fn, `scores has ${m.rows} queries (shape [${m.rows}, ${m.cols}]) but relevant has ${relevant.length} indices`, ShapeError);
  let total = 0;
  for (let q = 0; q < m.rows; q++) {
    const c = relevant[q];
    if (!Number.isInteger(c) || c < 0 || c >= m.cols) fail(fn, `relevant[${q}] = ${c} is not a candidate index in [0, ${m.cols})`);
    const { g, t } = rankOf(m, q, c);
    total += score(g, t);
  }
  return total / m.rows;
}

function withTensors<R>(fn: string, scores: MatrixInput | ArrayLike<number>, second: IndexInput | MatrixInput, secondIsMatrix: boolean, run: (s: HostMatrix | ArrayLike<number>, r: HostMatrix | ArrayLike<number>) => R): R | Promise<R> {
  if (!isTensor(scores) && !isTensor(second)) return run(scores, second as HostMatrix | ArrayLike<number>);
  return (async () => {
    const s = isTensor(scores) ? await readMatrix(fn, 'scores', scores) : scores;
    let r: HostMatrix | ArrayLike<number>;
    if (!isTensor(second)) r = second as HostMatrix | ArrayLike<number>;
    else r = secondIsMatrix ? await readMatrix(fn, 'relevance', second) : await readIndices(fn, 'relevant', second);
    return run(s, r);
  })();
}

/**
 * Recall@k with one relevant candidate per query: the share of queries whose relevant candidate
 * ranks in the top k (ties averaged, see above).
 *
 *   metrics.recallAtK([[0.9, 0.1, 0.5], [0.2, 0.3, 0.8]], [2, 0], 2)   // (1 + 0) / 2 = 0.5
 */
export function recallAtK(scores: Tensor, relevant: IndexInput, k: number): Promise<number>;
export function recallAtK(scores: HostMatrix | ArrayLike<number>, relevant: Tensor, k: number): Promise<number>;
export function recallAtK(scores: HostMatrix | ArrayLike<number>, relevant: ArrayLike<number>, k: number): number;
export function recallAtK(scores: MatrixInput | ArrayLike<number>, relevant: IndexInput, k: number): number | Promise<number>;
export function recallAtK(scores: MatrixInput | ArrayLike<number>, relevant: IndexInput, k: number): number | Promise<number> {
  checkK('recallAtK', k);
  return withTensors('recallAtK', scores, relevant, false, (s, r) =>
    meanOverRelevant('recallAtK', s, r as ArrayLike<number>, (g, t) => Math.min(1, Math.max(0, (k - g) / t))));
}

/**
 * Mean reciprocal rank with one relevant candidate per query: mean over queries of 1 / rank
 * (rank 1 = highest score; ties averaged, see above).
 *
 *   metrics.mrr([[0.9, 0.1, 0.5], [0.2, 0.3, 0.8]], [2, 0])   // (1/2 + 1/3) / 2
 */
export function mrr(scores: Tensor, relevant: IndexInput): Promise<number>;
export function mrr(scores: HostMatrix | ArrayLike<number>, relevant: Tensor): Promise<number>;
export function mrr(scores: HostMatrix | ArrayLike<number>, relevant: ArrayLike<number>): number;
export function mrr(scores: MatrixInput | ArrayLike<number>, relevant: IndexInput): number | Promise<number>;
export function mrr(scores: MatrixInput | ArrayLike<number>, relevant: IndexInput): number | Promise<number> {
  return withTensors('mrr', scores, relevant, false, (s, r) =>
    meanOverRelevant('mrr', s, r as ArrayLike<number>, (g, t) => {
      let sum = 0;
      for (let rank = g + 1; rank <= g + t; rank++) sum += 1 / rank;
      return sum / t;
    }));
}

/** DCG@k of one row, tie-averaged: each group of equal scores contributes its mean gain × the discounts of its ranks. */
function dcgRow(gains: ArrayLike<number>, scores: ArrayLike<number>, k: number): number {
  const order = Array.from({ length: gains.length }, (_, j) => j).sort((a, b) => scores[b] - scores[a]);
  let dcg = 0;
  for (let start = 0; start < order.length && start < k;) {
    let end = start + 1;
    while (end < order.length && scores[order[end]] === scores[order[start]]) end++;
    let gain = 0;
    for (let i = start; i < end; i++) gain += gains[order[i]];
    let discount = 0;
    for (let rank = start + 1; rank <= Math.min(end, k); rank++) discount += 1 / Math.log2(rank + 1);
    dcg += (gain / (end - start)) * discount;
    start = end;
  }
  return dcg;
}

function ndcgHost(scoresIn: HostMatrix, relevanceIn: HostMatrix, k: number | undefined): number {
  const fn = 'ndcg';
  const s = toMatrix(fn, 'scores', scoresIn);
  const rel = toMatrix(fn, 'relevance', relevanceIn);
  checkScores(fn, 'scores', s);
  if (rel.rows !== s.rows || rel.cols !== s.cols) fail(fn, `scores has shape [${s.rows}, ${s.cols}] but relevance has shape [${rel.rows}, ${rel.cols}]`, ShapeError);
  for (let i = 0; i < rel.values.length; i++) {
    const v = rel.values[i];
    if (!(v >= 0) || !Number.isFinite(v)) fail(fn, `relevance[${Math.floor(i / rel.cols)}][${i % rel.cols}] = ${v} is not a finite relevance ≥ 0`);
  }
  const cut = k ?? s.cols;
  let total = 0;
  for (let q = 0; q < s.rows; q++) {
    const gains = Array.from({ length: s.cols }, (_, j) => rel.values[q * s.cols + j]);
    const scores = Array.from({ length: s.cols }, (_, j) => s.values[q * s.cols + j]);
    const ideal = dcgRow(gains, gains, cut);
    if (ideal > 0) total += dcgRow(gains, scores, cut) / ideal;
  }
  return total / s.rows;
}

/**
 * Normalised discounted cumulative gain, sklearn's ndcg_score(relevance, scores, k=k): linear gain,
 * discount 1 / log2(rank + 1), ties averaged, the ideal DCG from the relevance itself; a query without
 * relevant candidates scores 0. k (default: all candidates) cuts each ranking after k.
 *
 *   metrics.ndcg([[0.1, 0.9, 0.5]], [[0, 3, 1]])   // 1: the ranking matches the relevance
 */
export function ndcg(scores: Tensor, relevance: MatrixInput, k?: number): Promise<number>;
export function ndcg(scores: HostMatrix, relevance: Tensor, k?: number): Promise<number>;
export function ndcg(scores: HostMatrix, relevance: HostMatrix, k?: number): number;
export function ndcg(scores: MatrixInput, relevance: MatrixInput, k?: number): number | Promise<number>;
export function ndcg(scores: MatrixInput, relevance: MatrixInput, k?: number): number | Promise<number> {
  if (k !== undefined) checkK('ndcg', k);
  return withTensors('ndcg', scores, relevance, true, (s, r) => ndcgHost(s as HostMatrix, r as HostMatrix, k));
}
