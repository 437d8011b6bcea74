// Ranking metrics (metrics.recallAtK, mrr, ndcg) against scikit-learn (fixtures/ranking/make.py →
// sklearn.json: top_k_accuracy_score, label_ranking_average_precision_score, ndcg_score, and the
// enumerated tie expectations), values worked out by hand, Tensor inputs and errors.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { mrr, ndcg, recallAtK } from '../../src/metrics/ranking.js';

interface Case { name: string; kind: 'recall' | 'mrr' | 'ndcg'; scores: number[][]; target: number[] | number[][]; k: number | null; want: number }
const fixture = JSON.parse(readFileSync(new URL('../fixtures/ranking/sklearn.json', import.meta.url), 'utf8')) as { sklearn: string; cases: Case[] };

function compute(c: Case): number {
  const k = c.k ?? undefined;
  if (c.kind === 'recall') return recallAtK(c.scores, c.target as number[], k!);
  if (c.kind === 'mrr') return mrr(c.scores, c.target as number[]);
  return ndcg(c.scores, c.target as number[][], k);
}

describe(`ranking metrics against scikit-learn ${fixture.sklearn}`, () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expect(compute(c)).toBeCloseTo(c.want, 12);
  });

  it('covers every metric, with ties and without', () => {
    for (const kind of ['recall', 'mrr', 'ndcg']) expect(fixture.cases.filter((c) => c.kind === kind).length).toBeGreaterThan(3);
    expect(fixture.cases.some((c) => c.name.includes('ties') || c.name.includes('tied'))).toBe(true);
  });
});

describe('ranking metrics by hand', () => {
  // Query 0: relevant 2 scores 0.5, one higher (0.9) → rank 2. Query 1: relevant 0 scores 0.2, two higher → rank 3.
  const scores = [[0.9, 0.1, 0.5], [0.2, 0.3, 0.8]];
  const relevant = [2, 0];

  it('recall@k and MRR from the rank of the relevant candidate', () => {
    expect(recallAtK(scores, relevant, 1)).toBe(0);
    expect(recallAtK(scores, relevant, 2)).toBe(0.5);
    expect(recallAtK(scores, relevant, 3)).toBe(1);
    expect(recallAtK(scores, relevant, 10)).toBe(1); // k beyond C: every candidate is in the top k
    expect(mrr(scores, relevant)).toBeCloseTo((1 / 2 + 1 / 3) / 2, 15);
    // The same as flat values (Q = relevant.length), typed rows and { values, shape }.
    expect(mrr(Float32Array.from([0.9, 0.1, 0.5, 0.2, 0.3, 0.8]), Int32Array.from(relevant))).toBeCloseTo(5 / 12, 7);
    expect(mrr(scores.map((r) => Float64Array.from(r)), relevant)).toBeCloseTo(5 / 12, 15);
    expect(recallAtK({ values: [0.9, 0.1, 0.5, 0.2, 0.3, 0.8], shape: [2, 3] }, relevant, 2)).toBe(0.5);
  });

  it('ties are averaged over the orders of the tied candidates', () => {
    // Relevant candidate 1 tied with 2 others, one candidate higher: rank 2, 3 or 4 with equal chance.
    const s = [[0.9, 0.4, 0.4, 0.4, 0.1]];
    expect(recallAtK(s, [1], 1)).toBe(0);
    expect(recallAtK(s, [1], 2)).toBeCloseTo(1 / 3, 15);
    expect(recallAtK(s, [1], 3)).toBeCloseTo(2 / 3, 15);
    expect(recallAtK(s, [1], 4)).toBe(1);
    expect(mrr(s, [1])).toBeCloseTo((1 / 2 + 1 / 3 + 1 / 4) / 3, 15);
  });

  it('NDCG: linear gain, log2 discount, ideal order from the relevance, 0 without relevant candidates', () => {
    // Ranking by score: c1 (rel 3), c2 (rel 1), c0 (rel 0) — the ideal order.
    expect(ndcg([[0.1, 0.9, 0.5]], [[0, 3, 1]])).toBeCloseTo(1, 15);
    // Reversed: c0 (0), c2 (1), c1 (3): DCG = 0 + 1/log2 3 + 3/log2 4; ideal = 3 + 1/log2 3.
    const dcg = 1 / Math.log2(3) + 3 / 2;
    const ideal = 3 + 1 / Math.log2(3);
    expect(ndcg([[0.9, 0.1, 0.5]], [[0, 3, 1]])).toBeCloseTo(dcg / ideal, 15);
    // @1: the top candidate has relevance 0.
    expect(ndcg([[0.9, 0.1, 0.5]], [[0, 3, 1]], 1)).toBe(0);
    // A query with no relevant candidate scores 0 and still counts in the mean.
    expect(ndcg([[0.1, 0.9, 0.5], [1, 2, 3]], [[0, 3, 1], [0, 0, 0]])).toBeCloseTo(0.5, 15);
    // All tied: each rank gets the mean gain (3 + 1 + 0) / 3.
    const mean = 4 / 3;
    expect(ndcg([[1, 1, 1]], [[3, 1, 0]])).toBeCloseTo((mean * (1 + 1 / Math.log2(3) + 1 / 2)) / ideal, 15);
  });
});

describe('ranking metrics on tensors', () => {
  beforeAll(async () => {
    await sg.init({ quiet: true });
  });
  afterAll(() => sg.dispose());

  it('read a Tensor [Q, C] (and i32 indices) back and give the same numbers', async () => {
    const s = sg.tensor(Float32Array.from([0.9, 0.1, 0.5, 0.2, 0.3, 0.8]), [2, 3]);
    const idx = sg.tensor(Int32Array.from([2, 0]), [2], { dtype: 'i32' });
    await expect(recallAtK(s, [2, 0], 2)).resolves.toBe(0.5);
    await expect(recallAtK([[0.9, 0.1, 0.5], [0.2, 0.3, 0.8]], idx, 2)).resolves.toBe(0.5);
    expect(await sg.metrics.mrr(s, idx)).toBeCloseTo(5 / 12, 7);
    const rel = sg.tensor(Float32Array.from([0, 3, 1, 0, 3, 1]), [2, 3]);
    expect(await sg.metrics.ndcg(s, rel)).toBeCloseTo(await sg.metrics.ndcg(s, [[0, 3, 1], [0, 3, 1]]), 12);
    await expect(mrr(sg.tensor(Float32Array.from([1, 2, 3]), [3]), [0])).rejects.toThrow(/scores must be a \[Q, C\] tensor, got tensor .*\[3\] f32/);
  });
});

describe('ranking metric errors', () => {
  const scores = [[0.9, 0.1, 0.5], [0.2, 0.3, 0.8]];
  it('name the argument, its value and what was expected', () => {
    expect(() => recallAtK(scores, [2, 0], 0)).toThrow(/metrics\.recallAtK: k must be an integer ≥ 1, got 0/);
    expect(() => recallAtK(scores, [2, 0], 1.5)).toThrow(/k must be an integer ≥ 1, got 1\.5/);
    expect(() => ndcg(scores, [[0, 1, 2], [1, 1, 1]], 0)).toThrow(/metrics\.ndcg: k must be an integer ≥ 1, got 0/);
    expect(() => recallAtK(scores, [2, 3], 1)).toThrow(/relevant\[1\] = 3 is not a candidate index in \[0, 3\)/);
    expect(() => mrr(scores, [-1, 0])).toThrow(/relevant\[0\] = -1 is not a candidate index/);
    expect(() => mrr(scores, [2])).toThrow(/scores has 2 queries \(shape \[2, 3\]\) but relevant has 1 indices/);
    expect(() => mrr([[1, 2], [3]], [0, 0])).toThrow(/scores\[1\] has 1 values but scores\[0\] has 2/);
    expect(() => mrr([1, 2, 3, 4, 5], [0, 0])).toThrow(/flat array of 5 values, which does not divide into 2 queries/);
    expect(() => mrr([[1, NaN]], [0])).toThrow(/scores\[0\]\[1\] = NaN is not finite/);
    expect(() => ndcg(scores, [[0, 1, 2]])).toThrow(/metrics\.ndcg: scores has shape \[2, 3\] but relevance has shape \[1, 3\]/);
    expect(() => ndcg(scores, [[0, 1, 2], [0, -1, 0]])).toThrow(/relevance\[1\]\[1\] = -1 is not a finite relevance ≥ 0/);
    expect(() => ndcg([1, 2, 3] as never, [[0, 1, 2]])).toThrow(/scores is a flat array: pass rows/);
    expect(() => ndcg({ values: [1, 2, 3], shape: [2, 2] }, { values: [1, 2, 3, 4], shape: [2, 2] })).toThrow(/scores\.values has 3 values but shape \[2, 2\] needs 4/);
    expect(() => mrr([], [])).toThrow(/scores has no queries/);
  });
});
