// Reading PyTorch's numbers from the JSON fixtures under kernels-test/fixtures/ (each made by a
// make.py there with torch; the tests never need torch): the arrays, a case lookup that says how to
// regenerate a missing case, and the comparison of a GPU tensor with torch's values.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import * as sg from '../src/index.js';
import type { Tensor } from '../src/index.js';

/** An array as make.py writes it: its shape and its values (null for NaN, which JSON lacks). */
export interface Arr { shape: number[]; data: (number | null)[] }
export interface Entry { inputs: Record<string, Arr>; outputs: Record<string, Arr>; attrs: Record<string, unknown> }

/** The JSON fixture at `path` (relative to kernels-test/fixtures/). */
export function loadFixture<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(`fixtures/${path}`, import.meta.url), 'utf8')) as T;
}

/** The case `name` of a fixture's `cases`, or an error saying which make.py to rerun. */
export function caseOf<E = Entry>(fixture: { cases: Record<string, E> }, name: string, maker: string): E {
  const e = fixture.cases[name];
  if (!e) throw new Error(`fixture ${name} missing: rerun kernels-test/fixtures/${maker}`);
  return e;
}

export const values = (a: Arr): number[] => a.data.map((v) => (v === null ? NaN : v));
export const f32 = (a: Arr): Tensor => sg.tensor(Float32Array.from(values(a)), a.shape);
export const i32 = (a: Arr): Tensor => sg.tensor(Int32Array.from(values(a)), a.shape, { dtype: 'i32' });

/** A realised tensor against torch's values: the same shape, NaN where torch has NaN, else |got − want| ≤ atol + rtol·|want|. */
export async function expectTorch(t: Tensor, want: Arr, what: string, atol = 1e-5, rtol = 1e-4): Promise<void> {
  expect(t.shape, `${what}: shape`).toEqual(want.shape);
  const got = Array.from(await t.data());
  const w = values(want);
  got.forEach((g, i) => {
    if (Number.isNaN(w[i])) expect(g, `${what}[${i}] (torch: NaN)`).toBeNaN();
    else expect(Math.abs(g - w[i]), `${what}[${i}]: got ${g}, torch ${w[i]}`).toBeLessThanOrEqual(atol + rtol * Math.abs(w[i]));
  });
}

/** Tolerances [atol, rtol] of expectSecondOrder's two checks (default: expectTorch's). */
export interface SecondOrderTolerance { g?: [number, number]; h?: [number, number] }

/**
 * First and second derivatives of a scalar f against torch's: ∇f (outputs named by `names.g`) and
 * the Hessian-vector product ∇⟨∇f, v⟩ (outputs named by `names.h`), one input, vector and name per
 * position.
 */
export async function expectSecondOrder(
  what: string, e: Entry, f: (...xs: Tensor[]) => Tensor, xs: Tensor[], vs: Tensor[], names: { g: string[]; h: string[] },
  tol: SecondOrderTolerance = {},
): Promise<void> {
  const g = (...a: Tensor[]) => sg.grad(f)(...a);
  const gs = g(...xs);
  for (let i = 0; i < xs.length; i++) await expectTorch(gs[i], e.outputs[names.g[i]], `${what} ${names.g[i]}`, ...(tol.g ?? []));
  const hs = sg.grad((...a: Tensor[]) => g(...a).map((gi, i) => sg.sum(sg.mul(gi, vs[i]))).reduce((p, q) => sg.add(p, q)))(...xs);
  for (let i = 0; i < xs.length; i++) await expectTorch(hs[i], e.outputs[names.h[i]], `${what} grad of grad ${names.h[i]}`, ...(tol.h ?? []));
}
