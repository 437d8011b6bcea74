// Fusion passes of compile(), each against its unfused composite: the same step compiled with and
// without fusion must give the same values, with fewer dispatches when fused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { rng } from '../harness.js';

beforeAll(async () => {
  await sg.init({ poison: true });
});
afterAll(() => sg.dispose());

const vals = (n: number, seed: number, lo = -1, hi = 1) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
};

async function both(fn: (...x: Tensor[]) => sg.Tensor | Record<string, Tensor>, inputs: { shape: number[] }[], data: Float32Array[], params?: Tensor[]) {
  const out: Record<string, Float32Array | Int32Array>[] = [];
  const sizes: number[] = [];
  for (const fuse of [false, true]) {
    const plan = await sg.compile(fn, { inputs, params, fuse });
    plan.run(...data);
    const [rec] = await plan.flush();
    out.push(rec.values);
    sizes.push(plan.size);
    if (fuse) expect(plan.explain().some((r) => r.op.startsWith('fused('))).toBe(true);
    plan.dispose();
  }
  return { unfused: out[0], fused: out[1], sizes };
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i])));
}

describe('elementwise chain fusion', () => {
  it('fuses a forward chain with broadcast scalars and gives identical values', async () => {
    const n = 1031;
    const fn = (x: Tensor, y: Tensor) => ({
      out: sg.sigmoid(sg.add(sg.mul(sg.tanh(x), 0.5), sg.square(sg.sub(x, y)))),
    });
    const { unfused, fused, sizes } = await both(fn, [{ shape: [n] }, { shape: [n] }], [vals(n, 1), vals(n, 2)]);
    close(fused.out, unfused.out);
    expect(sizes[1]).toBeLessThan(sizes[0]);
  });

  it('fuses chains inside the backward pass and keeps gradients identical', async () => {
    const w = sg.tensor(vals(12, 3), [4, 3], { name: 'w' });
    const fn = (x: Tensor) => ({ loss: sg.mean(sg.square(sg.sigmoid(sg.matmul(x, w, { transB: true })))) });
    const data = [vals(5 * 3, 4)];
    const a = await sg.compile(fn, { inputs: [{ shape: [5, 3] }], params: [w], fuse: false });
    const b = await sg.compile(fn, { inputs: [{ shape: [5, 3] }], params: [w], fuse: true });
    a.run(...data);
    b.run(...data);
    close((await b.flush())[0].values.loss, (await a.flush())[0].values.loss);
    expect(b.size).toBeLessThan(a.size);
    a.dispose();
    b.dispose();
  });

  it('does not fuse values that are read outside the chain', async () => {
    const fn = (x: Tensor) => {
      const h = sg.exp(sg.neg(x));
      return { a: sg.add(h, 1), b: sg.mul(h, 2) }; // h is read twice: it must stay materialised
    };
    const { unfused, fused } = await both(fn, [{ shape: [7] }], [vals(7, 5)]);
    close(fused.a, unfused.a);
    close(fused.b, unfused.b);
  });
});
