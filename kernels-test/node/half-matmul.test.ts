// The half-precision storage rules of matmul and linear (src/ops/matmul.ts): which shapes may store a
// half C (whole words need every row of C to start on a word: N even, or a single row), that every
// operand is readable as f16, and which versions a half operand leaves out of matmulVersions /
// linearVersions or turns into their scalar forms in pickVersion (the vec4 views are f32 only). The
// kernels themselves run in the halfMatmul case table (kernels-test/cases/half-matmul.ts).
import { describe, expect, it } from 'vitest';
import {
  halfOutputOk, linearOp, linearVersions, LINEAR_VERSIONS, matmulOp, matmulVersions, MATMUL_VERSIONS, pickVersion, tileVec4Ok,
  vec4Ok, type MatmulVersion,
} from '../../src/ops/matmul.js';
import type { Meta } from '../../src/util/shape.js';

const m = (...shape: number[]): Meta => ({ shape, dtype: 'f32' });
const attrs = (version: MatmulVersion, transA = false, transB = false) => ({ version, transA, transB });

describe('matmul half rule', () => {
  const rule = (a: Meta, b: Meta, c: Meta, transA = false, transB = false) => matmulOp.half!([a, b], [c], attrs('auto', transA, transB));
  it('reads A and B as f16 for every shape', () => {
    expect(rule(m(33, 65), m(65, 17), m(33, 17)).reads).toEqual([true, true]);
    expect(rule(m(3, 5, 7), m(7, 3), m(3, 5, 3)).reads).toEqual([true, true]);
  });
  it('writes a half C when N is even or C is one row, not otherwise', () => {
    expect(rule(m(33, 65), m(65, 18), m(33, 18)).writes).toEqual([true]);
    expect(rule(m(33, 65), m(65, 17), m(33, 17)).writes).toEqual([false]);
    expect(rule(m(1, 7), m(7, 5), m(1, 5)).writes).toEqual([true]);
    // One row per batch but two batches: row 1 would start inside the word of row 0's last column.
    expect(rule(m(2, 1, 7), m(2, 7, 5), m(2, 1, 5)).writes).toEqual([false]);
    expect(rule(m(2, 1, 7), m(2, 7, 6), m(2, 1, 6)).writes).toEqual([true]);
    // N comes from op(B): Bᵀ stored [N, K].
    expect(rule(m(4, 6), m(5, 6), m(4, 5), false, true).writes).toEqual([false]);
    expect(rule(m(6, 4), m(8, 6), m(4, 8), true, true).writes).toEqual([true]);
  });
  it('halfOutputOk', () => {
    expect(halfOutputOk(3, 4)).toBe(true);
    expect(halfOutputOk(3, 5)).toBe(false);
    expect(halfOutputOk(1, 5)).toBe(true);
    expect(halfOutputOk(1, 5, 3)).toBe(false);
  });
});

describe('linear half rule', () => {
  const act = { activation: 'relu' as const, version: 'auto' as const };
  it('reads x, W and the bias as f16; writes y as f16 for an even out-features count or one row', () => {
    expect(linearOp.half!([m(8, 13), m(6, 13), m(6)], [m(8, 6)], { ...act, hasBias: true })).toEqual({ reads: [true, true, true], writes: [true] });
    expect(linearOp.half!([m(8, 13), m(5, 13)], [m(8, 5)], { ...act, hasBias: false })).toEqual({ reads: [true, true], writes: [false] });
    expect(linearOp.half!([m(13), m(5, 13), m(5)], [m(5)], { ...act, hasBias: true }).writes).toEqual([true]);
    expect(linearOp.half!([m(2, 3, 7), m(5, 7), m(5)], [m(2, 3, 5)], { ...act, hasBias: true }).writes).toEqual([false]);
  });
});

describe('versions with half operands', () => {
  const vec4Shape = { M: 36, N: 132, K: 1024 };
  const all = ['subgroups'];
  const v4 = ['tile4x4v4', 'tile8x4v4', 'tile8x8v4', 'tile8x8db'];
  it('all f32: the same list as before', () => {
    expect(matmulVersions(vec4Shape, all, {})).toEqual([...MATMUL_VERSIONS]);
    expect(matmulVersions(vec4Shape, all, { a: false, b: false, c: false })).toEqual([...MATMUL_VERSIONS]);
  });
  it('a half A leaves out the vec4-load tile versions (A4), keeps vec4 (it reads A by scalars)', () => {
    const l = matmulVersions(vec4Shape, all, { a: true });
    expect(l).toEqual(MATMUL_VERSIONS.filter((v) => !v4.includes(v)));
    expect(l).toContain('vec4');
  });
  it('a half B leaves out vec4 (B4) and the vec4-load tile versions', () => {
    expect(matmulVersions(vec4Shape, all, { b: true })).toEqual(MATMUL_VERSIONS.filter((v) => v !== 'vec4' && !v4.includes(v)));
  });
  it('a half C leaves out vec4 (C4) only: the tile versions store C by scalars', () => {
    expect(matmulVersions(vec4Shape, all, { c: true })).toEqual(MATMUL_VERSIONS.filter((v) => v !== 'vec4'));
  });
  it('vec4Ok / tileVec4Ok', () => {
    expect(vec4Ok({ M: 8, N: 8, K: 8 }, { a: true })).toBe(true);
    expect(vec4Ok({ M: 8, N: 8, K: 8 }, { b: true })).toBe(false);
    expect(vec4Ok({ M: 8, N: 8, K: 8 }, { c: true })).toBe(false);
    expect(tileVec4Ok({ M: 8, N: 8, K: 8 }, { c: true, bias: true })).toBe(true);
    expect(tileVec4Ok({ M: 8, N: 8, K: 8 }, { a: true })).toBe(false);
    expect(tileVec4Ok({ M: 8, N: 8, K: 8 }, { b: true })).toBe(false);
  });
  it('linearVersions: the tile…v4 forms need K % 4 = 0 and x, W f32; subgroup needs the feature', () => {
    expect(linearVersions({ M: 8, N: 6, K: 20 }, all)).toEqual([...LINEAR_VERSIONS]);
    expect(linearVersions({ M: 8, N: 6, K: 20 }, all, { c: true, bias: true })).toEqual([...LINEAR_VERSIONS]);
    expect(linearVersions({ M: 8, N: 6, K: 20 }, all, { b: true })).toEqual(LINEAR_VERSIONS.filter((v) => !v4.includes(v)));
    expect(linearVersions({ M: 8, N: 6, K: 13 }, [])).toEqual(LINEAR_VERSIONS.filter((v) => !v4.includes(v) && v !== 'subgroup'));
  });
});

describe('pickVersion with half operands', () => {
  const big = { M: 512, N: 512, K: 512, batch: 1 };
  const vec4Dims = { M: 36, N: 132, K: 20, batch: 2 };
  it('runs the scalar form of a version whose vec4 views a half tensor would go through', () => {
    expect(pickVersion(attrs('vec4'), big, false, { b: true })).toBe('tiled');
    expect(pickVersion(attrs('vec4'), big, false, { c: true })).toBe('tiled');
    expect(pickVersion(attrs('vec4'), big, false, { a: true })).toBe('vec4');
    expect(pickVersion(attrs('tile8x8v4'), vec4Dims, false, { a: true })).toBe('tile8x8');
    expect(pickVersion(attrs('tile8x4v4'), vec4Dims, false, { b: true })).toBe('tile8x4');
    expect(pickVersion(attrs('tile8x8db'), vec4Dims, false, { a: true, b: true, c: true })).toBe('tile8x8');
    expect(pickVersion(attrs('tile8x8db'), vec4Dims, false, { c: true })).toBe('tile8x8db');
    for (const v of ['naive', 'tiled', 'splitk', 'reg', 'tile4x4', 'subgroup'] as const) {
      expect(pickVersion(attrs(v), big, false, { a: true, b: true, c: true })).toBe(v);
    }
  });
  it("keeps the fixed 'auto' rule, with tiled for vec4 where B or C is half", () => {
    expect(pickVersion(attrs('auto'), big, true, { a: true, b: true, c: true })).toBe('reg');
    expect(pickVersion(attrs('auto'), big, false, { a: true })).toBe('vec4');
    expect(pickVersion(attrs('auto'), big, false, { c: true })).toBe('tiled');
    expect(pickVersion(attrs('auto'), { M: 9, N: 11, K: 640, batch: 1 }, false, { a: true, b: true, c: true })).toBe('splitk');
  });
});
