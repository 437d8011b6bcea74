// The version lists a tuner chooses from (matmulVersions, convVersions), the fallbacks of an explicit
// version a shape does not allow, the fixed 'auto' rule left as it was, and the subgroup version on
// a device without `subgroups` (a device made here without the feature): a clear error, and its
// case-table entries reported as not run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { MATMUL_VERSIONS, matmulVersions, pickVersion, tileVec4Ok, type MatmulVersion } from '../../src/ops/matmul.js';
import { CONV_VERSIONS, convVersions, weightGemmSlices } from '../../src/ops/conv.js';
import { runCase } from '../harness.js';
import { cases as matmulCases } from '../cases/matmul.js';

const attrs = (version: MatmulVersion, transA = false, transB = false) => ({ version, transA, transB });

describe('matmulVersions', () => {
  it('lists every version for a shape whose operands allow vec4 loads, on a device with subgroups', () => {
    expect(matmulVersions({ M: 36, N: 132, K: 1024 }, ['subgroups', 'timestamp-query'])).toEqual([...MATMUL_VERSIONS]);
  });
  it('leaves out what the shape or the device does not allow', () => {
    const odd = matmulVersions({ M: 33, N: 17, K: 65 }, []);
    expect(odd).toEqual(['naive', 'tiled', 'splitk', 'reg', 'tile4x4', 'tile8x4', 'tile8x8']);
    // Aᵀ needs M % 4, Bᵀ needs K % 4; vec4 (v3) needs B untransposed.
    expect(tileVec4Ok({ M: 36, N: 7, K: 20, transA: true, transB: true })).toBe(true);
    expect(tileVec4Ok({ M: 35, N: 8, K: 20, transA: true })).toBe(false);
    expect(tileVec4Ok({ M: 35, N: 8, K: 20 })).toBe(true);
    expect(matmulVersions({ M: 8, N: 8, K: 8, transB: true }, [])).not.toContain('vec4');
    // A short K is not split.
    expect(matmulVersions({ M: 8, N: 8, K: 16 }, [])).not.toContain('splitk');
  });
});

describe('pickVersion', () => {
  const dims = { M: 33, N: 17, K: 65, batch: 1 };
  it('runs the scalar-load form of a vec4 version when the shape does not allow vec4 loads', () => {
    expect(pickVersion(attrs('tile8x8v4'), dims)).toBe('tile8x8');
    expect(pickVersion(attrs('tile8x4v4'), dims)).toBe('tile8x4');
    expect(pickVersion(attrs('tile8x8db'), dims)).toBe('tile8x8');
    expect(pickVersion(attrs('tile8x8db'), { M: 36, N: 132, K: 20, batch: 2 })).toBe('tile8x8db');
    expect(pickVersion(attrs('subgroup'), dims)).toBe('subgroup');
  });
  it("keeps the fixed 'auto' rule: reg on software adapters; split-K, vec4 or tiled on GPUs", () => {
    for (const d of [dims, { M: 512, N: 512, K: 512, batch: 1 }, { M: 9, N: 11, K: 640, batch: 1 }]) {
      expect(pickVersion(attrs('auto'), d, true)).toBe('reg');
    }
    expect(pickVersion(attrs('auto'), { M: 9, N: 11, K: 640, batch: 1 }, false)).toBe('splitk');
    expect(pickVersion(attrs('auto'), { M: 512, N: 512, K: 512, batch: 1 }, false)).toBe('vec4');
    expect(pickVersion(attrs('auto', false, true), { M: 512, N: 512, K: 512, batch: 1 }, false)).toBe('tiled');
  });
});

describe('convVersions', () => {
  it('lists every conv2d version (each runs every geometry, none needs a feature)', () => {
    expect(convVersions({ x: [2, 3, 8, 8], w: [4, 3, 3, 3] }, [])).toEqual([...CONV_VERSIONS]);
    expect(CONV_VERSIONS).toContain('gemm8x8');
  });
  it('slices the weight-gradient GEMM into multiples of 16 positions covering all of them', () => {
    for (const [P, tiles, groups] of [[3200, 1, 1], [17, 4, 2], [100000, 2, 3], [1, 1, 1]]) {
      const { slices, perSlice } = weightGemmSlices(P, tiles, groups);
      expect(perSlice % 16).toBe(0);
      expect(slices * perSlice).toBeGreaterThanOrEqual(P);
      expect((slices - 1) * perSlice).toBeLessThan(Math.max(P, 1));
    }
  });
});

describe('a device without subgroups', () => {
  beforeAll(async () => {
    await sg.init({ poison: true, features: ['timestamp-query'] });
  });
  afterAll(() => sg.dispose());

  it("refuses version 'subgroup', naming the feature and the versions it has", async () => {
    expect(sg.device().features.has('subgroups')).toBe(false);
    const a = sg.tensor(new Float32Array(12).fill(1), [3, 4]);
    const b = sg.tensor(new Float32Array(8).fill(1), [4, 2]);
    await expect(sg.matmul(a, b, { version: 'subgroup' }).data()).rejects.toThrow(/version 'subgroup' needs the device feature subgroups.*tile8x8/);
  });
  it('reports the subgroup cases of the matmul table as not run, and runs the others', async () => {
    const sub = matmulCases.find((c) => c.name === 'subgroup 7×7×7')!;
    const r = await runCase(sub);
    expect(r.notRun).toBe('not run: adapter lacks subgroups');
    const tile = await runCase(matmulCases.find((c) => c.name === 'tile8x8db vec4 36×20×132')!);
    expect(tile.message).toBe('');
    expect(tile.ok && !tile.notRun).toBe(true);
  });
});
