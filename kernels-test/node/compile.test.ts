// Compiled plans: the same model trained eagerly (op by op, one submit per step) and under
// compile() must give the same losses; steady state creates nothing and submits once per step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor, PlanOptimizer } from '../../src/index.js';
import { rng } from '../harness.js';

beforeAll(async () => {
  await sg.init();
});
afterAll(() => sg.dispose());

function randn(n: number, scale: number, rand: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);
}

/** Plain SGD written with elementwise ops: p ← p − lr·g (alpha of the scale op is −lr). */
const sgdOps = (lr: number | ((step: number) => number)): PlanOptimizer => ({
  stateCount: 0,
  update: (p, g) => ({ param: sg.add(p, sg.scale(g, -(typeof lr === 'number' ? lr : lr(1)))), states: [] }),
  hyper: (step) => ({ alpha: -(typeof lr === 'number' ? lr : lr(step)) }),
});

function mlpParams(seed: number, dims: number[]): Tensor[] {
  const rand = rng(seed);
  const ps: Tensor[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    ps.push(sg.tensor(randn(dims[i + 1] * dims[i], 1 / Math.sqrt(dims[i]), rand), [dims[i + 1], dims[i]], { name: `w${i}` }));
    ps.push(sg.tensor(randn(dims[i + 1], 0.1, rand), [dims[i + 1]], { name: `b${i}` }));
  }
  return ps;
}

function mlp(x: Tensor, ps: Tensor[]): Tensor {
  let h = x;
  for (let i = 0; i < ps.length; i += 2) {
    h = sg.add(sg.matmul(h, ps[i], { transB: true }), ps[i + 1]);
    if (i + 2 < ps.length) h = sg.relu(h);
  }
  return h;
}

const mse = (y: Tensor, t: Tensor) => sg.mean(sg.square(sg.sub(y, t)));

describe('compile', () => {
  const dims = [20, 16, 3];
  const batch = 8;
  const rand = rng(7);
  const X = randn(batch * dims[0], 1, rand);
  const Y = randn(batch * dims[2], 1, rand);

  it('trains an MLP with the same losses as eager execution (20 steps, lr schedule)', async () => {
    const lr = (step: number) => 0.1 / Math.sqrt(step);
    // Eager.
    let ps = mlpParams(3, dims);
    const x = sg.tensor(X, [batch, dims[0]]);
    const y = sg.tensor(Y, [batch, dims[2]]);
    const eager: number[] = [];
    for (let step = 1; step <= 20; step++) {
      const [loss, grads] = await sg.valueAndGrad((...p: Tensor[]) => mse(mlp(x, p), y))(...ps);
      eager.push(await loss.item());
      ps = ps.map((p, i) => sg.sub(p, sg.scale(grads[i], lr(step))));
      await sg.realise(...ps);
    }
    // Compiled.
    const params = mlpParams(3, dims);
    const plan = await sg.compile((xb, yb) => mse(mlp(xb, params), yb), {
      inputs: [{ shape: [batch, dims[0]], name: 'x' }, { shape: [batch, dims[2]], name: 'y' }],
      params, optimizer: sgdOps(lr),
    });
    for (let step = 0; step < 20; step++) plan.run(X, Y);
    const hist = await plan.flush();
    const compiled = hist.map((h) => h.values.loss[0]);
    expect(compiled.length).toBe(20);
    for (let i = 0; i < 20; i++) expect(Math.abs(compiled[i] - eager[i])).toBeLessThanOrEqual(1e-5 * Math.abs(eager[i]) + 1e-7);
    expect(compiled[19]).toBeLessThan(compiled[0]);
    plan.dispose();
  });

  it('runs 50 steady-state steps with no creations and one submit per step', async () => {
    const params = mlpParams(5, dims);
    const plan = await sg.compile((xb, yb) => mse(mlp(xb, params), yb), {
      inputs: [{ shape: [batch, dims[0]] }, { shape: [batch, dims[2]] }], params, optimizer: sgdOps(0.05), readEvery: 10,
    });
    plan.run(X, Y);
    await plan.flush();
    sg.resetStats();
    for (let i = 0; i < 50; i++) plan.run(X, Y);
    const s = sg.stats();
    expect(s.buffersCreated).toBe(0);
    expect(s.pipelinesCreated).toBe(0);
    expect(s.bindGroupsCreated).toBe(0);
    expect(s.submits).toBe(50);
    expect(s.dispatches).toBe(50 * plan.size);
    await plan.flush();
    expect(plan.history.length).toBeGreaterThanOrEqual(5);
    plan.dispose();
  });

  it('drain() hands over the records read since the last drain and empties the history', async () => {
    const params = mlpParams(5, dims);
    const plan = await sg.compile((xb, yb) => mse(mlp(xb, params), yb), {
      inputs: [{ shape: [batch, dims[0]] }, { shape: [batch, dims[2]] }], params, optimizer: sgdOps(0.05), readEvery: 1,
    });
    for (let i = 0; i < 3; i++) plan.run(X, Y);
    const first = await plan.drain();
    expect(first.map((r) => r.step)).toEqual([1, 2, 3]);
    expect(plan.history).toEqual([]);
    for (let i = 0; i < 2; i++) plan.run(X, Y);
    expect((await plan.drain()).map((r) => r.step)).toEqual([4, 5]);
    expect(first).toHaveLength(3); // the records handed over are the caller's
    plan.dispose();
  });

  it('plans memory: intermediates share buffers after their last use', async () => {
    const params = mlpParams(9, [20, 32, 32, 32, 3]);
    const plan = await sg.compile((xb, yb) => mse(mlp(xb, params), yb), {
      inputs: [{ shape: [batch, 20] }, { shape: [batch, 3] }], params, optimizer: sgdOps(0.01),
    });
    expect(plan.memory.plannedBytes).toBeLessThan(plan.memory.naiveBytes);
    const table = plan.explainTable();
    expect(table).toMatch(/matmul_/);
    expect(table).toMatch(/memory plan: \d+ slots/);
    const rows = plan.explain();
    // One row per dispatch, then the copy commands after the pass (the optimizer's new parameters).
    const copies = rows.filter((r) => r.kernel === 'copyBufferToBuffer');
    expect(rows.length).toBe(plan.size + copies.length);
    expect(rows.slice(plan.size).every((r) => r.kernel === 'copyBufferToBuffer')).toBe(true);
    expect(copies.map((r) => r.writes[0])).toEqual(['params']);
    plan.dispose();
  });

  it('profiles every dispatch and exports a Chrome trace', async () => {
    const params = mlpParams(11, dims);
    const plan = await sg.compile((xb, yb) => mse(mlp(xb, params), yb), {
      inputs: [{ shape: [batch, dims[0]] }, { shape: [batch, dims[2]] }], params, optimizer: sgdOps(0.01),
    });
    plan.run(X, Y);
    const report = await plan.profile(3);
    expect(['timestamp-query', 'wall-clock']).toContain(report.source);
    // Every dispatch is timed; the copy commands after the pass have no timestamps of their own.
    const dispatchRows = report.rows.slice(0, plan.size);
    expect(dispatchRows.every((r) => r.ms !== undefined && r.ms >= 0)).toBe(true);
    expect(report.rows.slice(plan.size).every((r) => r.kernel === 'copyBufferToBuffer' && r.ms === undefined)).toBe(true);
    expect(report.table).toMatch(/GPU time per kernel/);
    const trace = plan.traceEvents();
    expect(trace.traceEvents.length).toBe(report.rows.length + 1);
    expect(JSON.parse(JSON.stringify(trace)).traceEvents[1].ph).toBe('X');
    plan.dispose();
  });

  it('debug mode names the first op that produced a NaN', async () => {
    const w = sg.tensor([1, 2, 3], [3], { name: 'w' });
    const plan = await sg.compile((x) => sg.sum(sg.mul(sg.log(x), w)), { inputs: [{ shape: [3] }], debug: true });
    plan.run([1, 2, 3]);
    await plan.checkFinite();
    plan.run([1, -2, 3]);
    await expect(plan.checkFinite()).rejects.toThrow(/op 'log' .* produced NaN/);
    plan.dispose();
  });

  it('rejects inputs of the wrong size, naming the input', async () => {
    const plan = await sg.compile((x) => sg.sum(x), { inputs: [{ shape: [2, 3], name: 'images' }] });
    expect(() => plan.run(new Float32Array(5))).toThrow(/images expects 6 values \(\[2, 3\]\), got 5/);
    plan.dispose();
  });

  it('copies a gradient shared by two parameters into both arena slices before the optimizer runs', async () => {
    // d/dw1 and d/dw2 of Σ (w1 + w2)·x are one and the same tensor, x.
    const x = sg.tensor([1, 2, 3], [3]);
    const w1 = sg.tensor([0, 0, 0], [3]);
    const w2 = sg.tensor([0.5, 0.5, 0.5], [3]);
    const plan = await sg.compile(() => sg.sum(sg.mul(sg.add(w1, w2), x)), { inputs: [], params: [w1, w2], optimizer: sg.optim.sgd([w1, w2], { lr: 0.1 }) });
    const kernels = plan.explain().map((r) => r.op);
    expect(kernels.indexOf('gradient → arena')).toBeGreaterThanOrEqual(0);
    expect(kernels.lastIndexOf('gradient → arena')).toBeLessThan(kernels.indexOf('sgdUpdate'));
    plan.run();
    plan.run();
    await plan.flush();
    const close = (got: ArrayLike<number>, want: number[]) => want.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 5));
    close(await w1.data(), [-0.2, -0.4, -0.6]);
    close(await w2.data(), [0.3, 0.1, -0.1]);
    plan.dispose();
  });
});
