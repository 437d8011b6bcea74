// The row kernels' versions (src/ops/kernel-rules.ts): which versions an adapter can run, that a
// version set with setRowVersion is the kernel a plan dispatches (so the subgroup case table,
// kernels-test/cases/subgroups.ts, really runs the subgroup kernels), and — on a device made without
// `subgroups` — that the subgroup cases report "not run: adapter lacks subgroups" and a forced subgroup
// version fails with an error naming the feature.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { argmax, globalNorm } from '../../src/ops/reduce.js';
import { ROW_VERSIONS, rowVersion, rowVersions, setRowVersion, type RowVersion, type RowVersionRule } from '../../src/ops/kernel-rules.js';
import { runCase } from '../harness.js';
import { cases as subgroupCases } from '../cases/subgroups.js';

describe('version lists', () => {
  it('list each rule\'s versions by the features they need', () => {
    expect(rowVersions('softmax', [])).toEqual(['thread', 'tree']);
    expect(rowVersions('softmax', ['timestamp-query', 'subgroups'])).toEqual(['thread', 'tree', 'subgroup']);
    expect(rowVersions('argReduce', [])).toEqual(['tree']);
    expect(rowVersions('globalNorm', new Set(['subgroups']))).toEqual(['tree', 'subgroup']);
    expect(rowVersions('layerNormColumns', ['subgroups'])).toEqual(['thread', 'tree']);
    for (const rule of Object.keys(ROW_VERSIONS) as RowVersionRule[]) expect(rowVersions(rule, ['subgroups'])).toEqual(ROW_VERSIONS[rule]);
  });
  it('setRowVersion refuses an unknown rule or version', () => {
    expect(() => setRowVersion('softmaxx' as RowVersionRule, 'tree')).toThrow(/setRowVersion: no row rule 'softmaxx'; the rules are softmax, /);
    expect(() => setRowVersion('argReduce', 'thread')).toThrow(/'argReduce' has the versions tree, subgroup, not 'thread'/);
    expect(() => setRowVersion('layerNormColumns', 'subgroup')).toThrow(/'layerNormColumns' has the versions thread, tree, not 'subgroup'/);
  });
});

// One op per rule, and the entry points its version must dispatch.
const x2 = () => sg.tensor(Float32Array.from({ length: 6 * 70 }, (_, i) => Math.sin(i)), [6, 70]);
const ops: { rule: RowVersionRule; build: () => Tensor[]; kernels: Record<RowVersion, string[]> }[] = [
  {
    rule: 'softmax', build: () => { const x = x2(); return [sg.gradients(sg.sum(sg.softmax(x)), [x])[0]]; },
    kernels: { thread: ['softmax_forward_rows', 'softmax_backward_rows'], tree: ['softmax_forward', 'softmax_backward'], subgroup: ['softmax_forward_subgroup', 'softmax_backward_subgroup'] },
  },
  {
    rule: 'layerNormRows', build: () => { const x = x2(); return [sg.gradients(sg.sum(sg.layerNorm(x, [70])), [x])[0]]; },
    kernels: { thread: ['layernorm_forward_rows', 'layernorm_backward_rows'], tree: ['layernorm_forward', 'layernorm_backward'], subgroup: ['layernorm_forward_subgroup', 'layernorm_backward_subgroup'] },
  },
  {
    rule: 'crossEntropyRows', build: () => [sg.crossEntropy(x2(), sg.tensor(new Int32Array(6).fill(3), [6], { dtype: 'i32' }))],
    kernels: { thread: ['cross_entropy_forward_rows'], tree: ['cross_entropy_forward'], subgroup: ['cross_entropy_forward_subgroup'] },
  },
  {
    rule: 'crossEntropySum', build: () => [sg.crossEntropy(x2(), sg.tensor(new Int32Array(6).fill(3), [6], { dtype: 'i32' }))],
    kernels: { thread: ['cross_entropy_reduce_serial'], tree: ['cross_entropy_reduce'], subgroup: ['cross_entropy_reduce_subgroup'] },
  },
  { rule: 'reduce', build: () => [sg.max(x2(), 1)], kernels: { thread: ['reduce_serial'], tree: ['reduce_forward'], subgroup: ['reduce_forward_subgroup'] } },
  { rule: 'argReduce', build: () => [argmax(x2(), 1)], kernels: { thread: [], tree: ['reduce_arg'], subgroup: ['reduce_arg_subgroup'] } },
  {
    rule: 'globalNorm', build: () => [globalNorm([x2()])],
    kernels: { thread: [], tree: ['sumsq_partial', 'global_norm_finish'], subgroup: ['sumsq_partial_subgroup', 'global_norm_finish_subgroup'] },
  },
];

async function dispatched(rule: RowVersionRule, version: RowVersion, build: () => Tensor[]): Promise<string[]> {
  setRowVersion(rule, version);
  try {
    const plan = await sg.compile(() => Object.fromEntries(build().map((t, k) => [`out${k}`, t])), { inputs: [] });
    const kernels = plan.explain().map((r) => r.kernel);
    plan.dispose();
    return kernels;
  } finally {
    setRowVersion(rule);
  }
}

describe('on this adapter', () => {
  beforeAll(async () => {
    await sg.init();
  });
  afterAll(() => sg.dispose());

  for (const { rule, build, kernels } of ops) {
    it(`${rule}: each version dispatches its own kernels`, async (ctx) => {
      for (const version of ROW_VERSIONS[rule]) {
        if (!rowVersions(rule, sg.device().features).includes(version)) ctx.skip(`not run: adapter lacks ${version === 'subgroup' ? 'subgroups' : version}`);
        const got = await dispatched(rule, version, build);
        for (const k of kernels[version]) expect(got, `${rule} '${version}'`).toContain(k);
        for (const other of ROW_VERSIONS[rule].filter((v) => v !== version)) {
          for (const k of kernels[other]) expect(got, `${rule} '${version}' must not run ${k}`).not.toContain(k);
        }
      }
    });
  }

  it('with no version set, the fixed rule decides', () => {
    expect(rowVersion('softmax', 64, 1)).toBe('thread');
    expect(rowVersion('argReduce', 1000, 1)).toBe('tree');
    expect(rowVersion('globalNorm', 1 << 20, 1)).toBe('tree');
  });
});

describe('on a device without subgroups', () => {
  beforeAll(async () => {
    await sg.init({ features: [] });
  });
  afterAll(() => sg.dispose());

  it('the device lacks the feature', () => {
    expect(sg.device().features.has('subgroups')).toBe(false);
    expect(rowVersions('softmax', sg.device().features)).toEqual(['thread', 'tree']);
  });
  it('every subgroup case reports "not run: adapter lacks subgroups"', async () => {
    expect(subgroupCases.length).toBeGreaterThan(40);
    for (const c of subgroupCases) {
      const r = await runCase(c);
      expect(r.notRun, c.name).toBe('not run: adapter lacks subgroups');
    }
  });
  it('a forced subgroup version fails with an error naming the feature', async () => {
    setRowVersion('softmax', 'subgroup');
    try {
      await expect((async () => sg.softmax(x2()).data())()).rejects.toThrow(/the 'subgroup' version of 'softmax' needs the device feature subgroups, which this adapter lacks; its versions here: thread, tree/);
    } finally {
      setRowVersion('softmax');
    }
  });
});
