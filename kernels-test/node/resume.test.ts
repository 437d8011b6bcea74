// True resume: sg.save / sg.load with { optimizer } carry the optimizer's moments, step count and
// schedule position, whatever the order of load and compile, and fit({ checkpoint, resumeFrom })
// continues a run across epochs with a stateful scheduler: the resumed run equals an uninterrupted
// one within f32 rounding. Also: orphaned temp files of killed writes are removed by the next save,
// and fit's NaN diagnosis replays from the weights before the failing step (names `log`, not `linear`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

beforeAll(() => sg.init({ poison: true }));
afterAll(() => sg.dispose());

const mlp = (seed: number) => {
  sg.manualSeed(seed);
  return sg.nn.sequential(sg.nn.linear(2, 16), sg.nn.relu(), sg.nn.linear(16, 2));
};

/** |a − b| ≤ 1e-6 · max(1, |b|) everywhere (the runs execute the same kernels: f32 rounding at most). */
function expectSame(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  expect(a.length, what).toBe(b.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < b.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(e <= worst)) {
      worst = e;
      at = i;
    }
  }
  expect(worst, `${what}: worst relative difference ${worst} at [${at}] (${a[at]} vs ${b[at]})`).toBeLessThanOrEqual(1e-6);
}

async function paramsOf(model: sg.nn.Module): Promise<number[]> {
  return (await sg.read(...model.parameters())).flatMap((v) => Array.from(v));
}

describe('sg.save / sg.load restore the optimizer: moments, step count, schedule', () => {
  const data = sg.data.moons({ n: 64, noise: 0.1, seed: 1 });
  const batchOf = (k: number) => Int32Array.from({ length: 16 }, (_, j) => (k * 7 + j * 3) % 64);

  /** `steps` compiled Adam steps on fixed batches, starting at step `from`; the losses. */
  async function run(model: sg.nn.Module, opt: sg.optim.Optimizer, from: number, steps: number, beforeRun?: () => Promise<void>): Promise<number[]> {
    const X = sg.tensor(data.x, [64, 2]);
    const Y = sg.tensor(data.y as Int32Array, [64], { dtype: 'i32' });
    const plan = await sg.compile((idx) => sg.crossEntropy(model.forward(sg.indexSelect(X, 0, idx)), sg.indexSelect(Y, 0, idx)), {
      inputs: [{ shape: [16], dtype: 'i32' }], params: opt.params, optimizer: opt,
    });
    await beforeRun?.();
    for (let k = from; k < from + steps; k++) plan.run(batchOf(k));
    const losses = (await plan.flush()).map((h) => h.values.loss[0]);
    plan.dispose();
    return losses;
  }

  const adam = (m: sg.nn.Module) => sg.optim.adam(m.parameters(), { lr: 0.02 });

  it('30 steps, save, load into a new model and optimizer, 30 more == 60 uninterrupted (load before or after compile)', async () => {
    const whole = mlp(1);
    const wholeOpt = adam(whole);
    const wantLosses = await run(whole, wholeOpt, 0, 60);
    const want = await paramsOf(whole);

    const first = mlp(1);
    const firstOpt = adam(first);
    await run(first, firstOpt, 0, 30);
    const dir = mkdtempSync(join(tmpdir(), 'sg-resume-'));
    const path = join(dir, 'run.safetensors');
    await sg.save(first, path, { optimizer: firstOpt });
    const saved = await sg.io.loadCheckpoint(path);
    // Model keys stay PyTorch's; the optimizer's state is under `optimizer.` with PyTorch's names.
    expect(Object.keys(saved.tensors).filter((k) => !k.startsWith('optimizer.')).sort()).toEqual(['0.bias', '0.weight', '2.bias', '2.weight']);
    expect(saved.tensors['optimizer.state.0.exp_avg'].shape).toEqual([16, 2]);
    expect(saved.tensors['optimizer.state.3.exp_avg_sq'].shape).toEqual([2]);
    expect(saved.metadata.optimizer).toMatchObject({ name: 'adam', step: 30, params: 4, state: ['exp_avg', 'exp_avg_sq'] });

    // Order 1: load, then compile.
    const a = mlp(99);
    const aOpt = adam(a);
    await sg.load(a, path, { optimizer: aOpt });
    expect(aOpt.steps).toBe(30);
    const aLosses = await run(a, aOpt, 30, 30);
    expect(aOpt.steps).toBe(60);
    expectSame('losses 31–60 (load, then compile)', aLosses, wantLosses.slice(30));
    expectSame('parameters after 60 steps (load, then compile)', await paramsOf(a), want);

    // Order 2: compile, then load (the plan is bound to the arenas the load writes).
    const b = mlp(98);
    const bOpt = adam(b);
    const bLosses = await run(b, bOpt, 30, 30, () => sg.load(b, path, { optimizer: bOpt }).then(() => undefined));
    expectSame('losses 31–60 (compile, then load)', bLosses, wantLosses.slice(30));
    expectSame('parameters after 60 steps (compile, then load)', await paramsOf(b), want);

    // Eager steps after a load continue the same state too.
    const c = mlp(97);
    const cOpt = adam(c);
    await sg.load(c, path, { optimizer: cOpt });
    const X = sg.tensor(data.x, [64, 2]);
    const Y = sg.tensor(data.y as Int32Array, [64], { dtype: 'i32' });
    for (let k = 30; k < 60; k++) {
      const idx = sg.tensor(batchOf(k), [16], { dtype: 'i32' });
      const [, grads] = await sg.valueAndGrad(() => sg.crossEntropy(c.forward(sg.indexSelect(X, 0, idx)), sg.indexSelect(Y, 0, idx)), cOpt.params)(...cOpt.params);
      await cOpt.step(grads);
    }
    const eager = await paramsOf(c);
    for (let i = 0; i < want.length; i++) expect(Math.abs(eager[i] - want[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i])));
    [wholeOpt, firstOpt, aOpt, bOpt, cOpt].forEach((o) => o.dispose());
  });

  it('refuses optimizer state that does not fit, naming the difference, and changes nothing', async () => {
    const m = mlp(3);
    const opt = adam(m);
    await run(m, opt, 0, 2);
    const dir = mkdtempSync(join(tmpdir(), 'sg-resume-'));
    const path = join(dir, 'a.safetensors');
    await sg.save(m, path, { optimizer: opt });
    const other = mlp(4);
    const before = await paramsOf(other);
    await expect(sg.load(other, path, { optimizer: sg.optim.sgd(other.parameters(), { lr: 0.1, momentum: 0.9 }) }))
      .rejects.toThrow(/optimizer sgd: the checkpoint's optimizer state does not fit: it was saved by adam; its state tensors are \[exp_avg, exp_avg_sq\], the optimizer keeps \[momentum_buffer\]/);
    expect(await paramsOf(other)).toEqual(before);
    const plain = join(dir, 'plain.safetensors');
    await sg.save(m, plain);
    await expect(sg.load(other, plain, { optimizer: adam(other) })).rejects.toThrow(/the checkpoint holds no optimizer state/);
    opt.dispose();
  });

  it('reduceOnPlateau counters round-trip through stateDict (±Infinity as strings)', () => {
    const s = sg.optim.reduceOnPlateau({ patience: 0, factor: 0.5 });
    expect(s.stateDict()).toEqual({ best: 'Infinity', badEpochs: 0, cooldownCounter: 0, reductions: 0 });
    s.lrAt(0, 1);
    s.step(1);
    s.step(2);
    const t = sg.optim.reduceOnPlateau({ patience: 0, factor: 0.5 });
    t.loadStateDict(JSON.parse(JSON.stringify(s.stateDict())));
    expect([t.best, t.badEpochs, t.reductions, t.lrAt(5, 1)]).toEqual([1, 0, 1, 0.5]);
  });
});

describe('fit({ checkpoint, resumeFrom })', () => {
  const data = sg.data.moons({ n: 96, noise: 0.2, seed: 2 });
  const setup = (seed: number) => {
    const model = mlp(seed);
    // Warmup, then a plateau schedule with a high threshold: it reduces the rate during the run, so
    // its counters (best, bad epochs, reductions) must come back for the resumed run to match.
    const scheduler = sg.optim.warmup(sg.optim.reduceOnPlateau({ patience: 0, factor: 0.5, threshold: 0.2 }), { steps: 2 });
    const optimizer = sg.optim.adam(model.parameters(), { lr: 0.05, scheduler });
    return { model, optimizer };
  };
  const common = { data, validationSplit: 0.25, loss: 'crossEntropy' as const, batchSize: 16, seed: 3 };

  it('3 epochs, checkpoint, a new process-like start that resumes to 6 == 6 uninterrupted epochs', async () => {
    const whole = setup(1);
    const want = await sg.train.fit(whole.model, { ...common, optimizer: whole.optimizer, epochs: 6 });
    const lrs = want.epochs.map((e) => e.lr);
    expect(new Set(lrs.slice(2)).size, `the plateau schedule reduced the rate: ${lrs}`).toBeGreaterThan(1);

    const dir = mkdtempSync(join(tmpdir(), 'sg-fit-resume-'));
    const path = join(dir, 'model.safetensors');
    const first = setup(1);
    const h1 = await sg.train.fit(first.model, { ...common, optimizer: first.optimizer, epochs: 3, checkpoint: path });
    expect(h1.epochs.length).toBe(3);
    first.optimizer.dispose();

    const again = setup(42); // other initial weights: everything must come from the checkpoint
    const h2 = await sg.train.fit(again.model, { ...common, optimizer: again.optimizer, epochs: 6, checkpoint: path, resumeFrom: path });
    expect(h2.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h2.epochs.map((e) => e.lr)).toEqual(lrs);
    expect(again.optimizer.steps).toBe(whole.optimizer.steps);
    expectSame('step losses of epochs 4–6', h2.steps.map((s) => s.loss), want.steps.filter((s) => s.epoch > 3).map((s) => s.loss));
    expectSame('validation losses', h2.epochs.map((e) => e.valLoss!), want.epochs.map((e) => e.valLoss!));
    expectSame('final parameters', await paramsOf(again.model), await paramsOf(whole.model));
    // The checkpoint now records 6 epochs: resuming it again trains nothing.
    const done = await sg.train.fit(again.model, { ...common, optimizer: again.optimizer, epochs: 6, resumeFrom: path });
    expect(done.steps.length).toBe(0);
    expect(done.epochs.length).toBe(6);
    expect(readdirSync(dir)).toEqual(['model.safetensors']);
    [whole.optimizer, again.optimizer].forEach((o) => o.dispose());
  });

  it('the device is lost mid-fit (epoch 4): sg.init, resume from the last checkpoint, the same curve as uninterrupted', async () => {
    const whole = setup(1);
    const want = await sg.train.fit(whole.model, { ...common, optimizer: whole.optimizer, epochs: 6 });
    const wantParams = await paramsOf(whole.model);
    whole.optimizer.dispose();

    const dir = mkdtempSync(join(tmpdir(), 'sg-fit-lost-'));
    const path = join(dir, 'model.safetensors');
    const run = setup(1);
    let lostAt: number | undefined;
    const failed = await sg.train.fit(run.model, {
      ...common, optimizer: run.optimizer, epochs: 6, checkpoint: path,
      onStepEnd: ({ epoch, step }) => {
        if (epoch === 4 && lostAt === undefined) {
          lostAt = step;
          sg.device().destroy(); // the documented hook: acts as a lost device at once
        }
      },
    }).then(() => null, (e: unknown) => e as Error);
    expect(lostAt).toBeDefined();
    expect(failed?.message).toMatch(/lost|destroyed/);
    expect(() => sg.tensor([1], [1])).toThrow(sg.DeviceLostError);

    await sg.init({ poison: true });
    // The same model and optimizer objects (their tensors belong to the lost device): fit loads the
    // checkpoint of epoch 3 onto the new device and continues.
    const h = await sg.train.fit(run.model, { ...common, optimizer: run.optimizer, epochs: 6, checkpoint: path, resumeFrom: path });
    expect(h.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expectSame('step losses of epochs 4–6 after the loss', h.steps.map((s) => s.loss), want.steps.filter((s) => s.epoch > 3).map((s) => s.loss));
    expectSame('validation losses', h.epochs.map((e) => e.valLoss!), want.epochs.map((e) => e.valLoss!));
    expectSame('final parameters', await paramsOf(run.model), wantParams);

    // A new model object (a reloaded page) gets the same weights and optimizer state with sg.load.
    const fresh = setup(42);
    await sg.load(fresh.model, path, { optimizer: fresh.optimizer });
    expect(fresh.optimizer.steps).toBe(run.optimizer.steps);
    expectSame('sg.load of the final checkpoint', await paramsOf(fresh.model), wantParams);
    [run.optimizer, fresh.optimizer].forEach((o) => o.dispose());
  });

  it('resumeFrom a file without fit position is refused', async () => {
    const { model, optimizer } = setup(5);
    const dir = mkdtempSync(join(tmpdir(), 'sg-fit-resume-'));
    const path = join(dir, 'm.safetensors');
    await sg.save(model, path, { optimizer });
    await expect(sg.train.fit(model, { ...common, optimizer, epochs: 2, resumeFrom: path })).rejects.toThrow(/resumeFrom: the checkpoint holds no fit position/);
  });
});

describe('checkpoint writes', () => {
  it('the next save removes orphaned temp files of killed writes, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-orphans-'));
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a process id that has exited
    const orphans = [`model.safetensors.tmp-${dead}-0123456789ab`, `other.safetensors.tmp-${process.pid}-aaaaaaaaaaaa`];
    const keep = ['notes.tmp-1', `x.tmp-${process.ppid}-bbbbbbbbbbbb`]; // not ours / a live process's write
    for (const f of [...orphans, ...keep]) writeFileSync(join(dir, f), 'partial');
    const m = mlp(1);
    await sg.save(m, join(dir, 'model.safetensors'));
    expect(readdirSync(dir).sort()).toEqual(['model.safetensors', ...keep].sort());
  });
});

describe('fit: NaN diagnosis replays from the weights before the failing step', () => {
  it('snapshots an i32 buffer too: a batch-norm model (num_batches_tracked) trains with diagnosis on', async () => {
    // The window snapshot copies every state_dict entry; num_batches_tracked is i32 (the f32 copy
    // kernel refuses it). 16 samples, batch 4, 2 epochs: 8 steps counted.
    sg.manualSeed(3);
    const model = sg.nn.sequential(sg.nn.linear(3, 4), sg.nn.batchNorm1d(4), sg.nn.relu(), sg.nn.linear(4, 2));
    const x = Float32Array.from({ length: 48 }, (_, i) => Math.sin(i * 0.7));
    const y = Int32Array.from({ length: 16 }, (_, i) => i % 2);
    const data = sg.data.fromArrays(x, y, { xShape: [3] });
    const optimizer = sg.optim.sgd(model.parameters(), { lr: 0.1 });
    const h = await sg.train.fit(model, { data, loss: 'crossEntropy', optimizer, epochs: 2, batchSize: 4, shuffle: false });
    expect(h.epochs.length).toBe(2);
    expect(h.epochs.every((e) => Number.isFinite(e.trainLoss))).toBe(true);
    const [count] = await sg.read(model.stateDict()['1.num_batches_tracked']);
    expect(count[0]).toBe(8);
  });


  it('a loss that takes log of a negative value names log, not linear', async () => {
    // out = w·x + b with x = 1, w = 1, b = 0; loss = log(out) + 0.01·log(out)²; SGD lr 0.3:
    // step 1 out = 1 → 0.4, step 2 → −1.07, step 3: log(−1.07) = NaN, and its gradient makes w, b NaN.
    const model = sg.nn.sequential(sg.nn.linear(1, 1));
    await model.loadStateDict({ '0.weight': sg.tensor([1], [1, 1]), '0.bias': sg.tensor([0], [1]) });
    const data = sg.data.fromArrays(new Float32Array(8).fill(1), new Float32Array(8), { xShape: [1], yShape: [1] });
    const loss = (out: Tensor) => {
      const l = sg.log(out);
      return sg.add(sg.mean(l), sg.scale(sg.mean(sg.square(l)), 0.01));
    };
    const optimizer = sg.optim.sgd(model.parameters(), { lr: 0.3 });
    const err = await sg.train.fit(model, { data, loss, optimizer, epochs: 1, batchSize: 1, shuffle: false }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(sg.NonFiniteError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/the loss became NaN at epoch 1, step 3 — op 'log' \(node #\d+\) produced NaN/);
    // The model keeps the weights from before the failing step: finite.
    const [w, b] = await sg.read(...model.parameters());
    expect([w[0], b[0]].every(Number.isFinite)).toBe(true);
    expect(w[0]).toBeCloseTo(1 - 0.3 - 0.3 * 2.4542, 3);
  });
});
