// compile(..., { tune }): measured kernel choice. A tuned plan computes what the untuned plan computes
// (MLP, CNN, transformer block), whatever version each site takes — every measured candidate is forced
// through the cache in turn; the cache round-trips ('cached' times nothing), is keyed by adapter, the
// budget holds, and bad options are named.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { setAdapterKeyOverride, storeRecords, type TuneRecord } from '../../src/gpu/tune-cache.js';

const cacheHome = mkdtempSync(join(tmpdir(), 'sg-tune-'));

beforeAll(async () => {
  process.env.XDG_CACHE_HOME = cacheHome;
  await sg.init({ quiet: true });
  await sg.tuning.clear();
});
afterAll(async () => {
  setAdapterKeyOverride(undefined);
  await sg.tuning.clear();
  sg.dispose();
});

interface Model {
  build: () => sg.nn.Module;
  loss: (m: sg.nn.Module, x: Tensor, y: Tensor) => Tensor;
  inputs: { shape: number[]; dtype?: 'f32' | 'i32' }[];
  data: (Float32Array | Int32Array)[];
}

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.8);

const models: Record<string, Model> = {
  mlp: {
    build: () => sg.nn.sequential(sg.nn.linear(12, 20), sg.nn.relu(), sg.nn.linear(20, 5)),
    loss: (m, x, y) => sg.crossEntropy(m.forward(x), y),
    inputs: [{ shape: [16, 12] }, { shape: [16], dtype: 'i32' }],
    data: [rand(16 * 12, 1), Int32Array.from({ length: 16 }, (_, i) => i % 5)],
  },
  cnn: {
    build: () => sg.nn.sequential(sg.nn.conv2d(2, 6, 3, { padding: 1 }), sg.nn.batchNorm2d(6), sg.nn.relu(), sg.nn.maxPool2d(2),
      sg.nn.flatten(), sg.nn.linear(6 * 4 * 4, 3)),
    loss: (m, x, y) => sg.crossEntropy(m.forward(x), y),
    inputs: [{ shape: [4, 2, 8, 8] }, { shape: [4], dtype: 'i32' }],
    data: [rand(4 * 2 * 8 * 8, 2), Int32Array.from([0, 1, 2, 1])],
  },
  transformer: {
    build: () => sg.nn.sequential(sg.nn.transformerEncoderLayer(8, 2, { dimFeedforward: 16, dropout: 0, batchFirst: true, normFirst: true })),
    loss: (m, x, y) => sg.mseLoss(m.forward(x), y),
    inputs: [{ shape: [2, 5, 8] }, { shape: [2, 5, 8] }],
    data: [rand(2 * 5 * 8, 3), rand(2 * 5 * 8, 4)],
  },
};

/** One SGD step of a fresh copy of the model (seed 7): the loss, the updated parameters, the explain rows. */
async function step(name: string, opts: Partial<sg.CompileOptions>) {
  const m = models[name];
  sg.manualSeed(7);
  const model = m.build();
  const opt = sg.optim.sgd(model.parameters(), { lr: 0.1 });
  const plan = await sg.compile((x, y) => m.loss(model, x, y), { inputs: m.inputs, params: opt.params, optimizer: opt, label: name, ...opts });
  plan.run(...m.data);
  const [r] = await plan.flush();
  const params = await Promise.all(model.parameters().map((p) => p.data()));
  const rows = plan.explain();
  plan.dispose();
  return { loss: r.values.loss[0], params, rows };
}

function expectClose(a: Awaited<ReturnType<typeof step>>, b: Awaited<ReturnType<typeof step>>, what: string) {
  expect(Math.abs(a.loss - b.loss), `${what}: loss ${a.loss} vs ${b.loss}`).toBeLessThan(1e-4 + 1e-4 * Math.abs(b.loss));
  a.params.forEach((p, i) => p.forEach((v, j) => {
    const w = b.params[i][j];
    if (!(Math.abs(v - w) <= 1e-4 + 1e-3 * Math.abs(w))) throw new Error(`${what}: parameter ${i}[${j}] = ${v}, untuned ${w}`);
  }));
}

describe('tuned plans compute what untuned plans compute', () => {
  for (const name of Object.keys(models)) {
    it(`${name}: measured choice, then every measured candidate of every site forced through the cache`, async () => {
      const fixed = await step(name, {});
      const tuned = await step(name, { tune: true, tuneBudgetMs: 60_000 });
      expectClose(tuned, fixed, `${name} tuned`);
      expect(tuned.rows.some((r) => r.tuned), 'explain rows carry the choice').toBe(true);
      const rep = await sg.tuning.report();
      const entries = rep.entries.filter((e) => e.plan === name && e.source === 'measured');
      expect(entries.length).toBeGreaterThan(0);
      for (const e of entries) {
        expect(Object.keys(e.ms).length).toBeGreaterThanOrEqual(2);
        expect(Object.keys(e.ms)).toContain(e.fixed);
        expect(Object.keys(e.ms)).toContain(e.chosen);
      }
      // Force other candidates through the cache ('cached' takes what it says): at each site the k-th
      // candidate after the fixed rule's, for three values of k (each version's numbers are the kernel
      // tables' business; here, that the plan runs what the cache names and stays right).
      const longest = 3;
      const kernels = new Set(fixed.rows.map((r) => r.kernel));
      let more = 0;
      const runsBefore = rep.timingRuns;
      for (let k = 0; k < longest; k++) {
        const records: Record<string, TuneRecord> = {};
        for (const e of entries) {
          const cands = Object.keys(e.ms);
          const choice = cands[(cands.indexOf(e.fixed) + 1 + k) % cands.length];
          records[e.site] = { choice, fixed: e.fixed, ms: e.ms, timing: 'wall-clock', at: Date.now() };
        }
        await storeRecords(records);
        const forced = await step(name, { tune: 'cached' });
        expectClose(forced, fixed, `${name} candidate set ${k}`);
        for (const r of forced.rows) if (!kernels.has(r.kernel)) more++;
      }
      expect(more, 'forced candidates ran other kernels than the fixed rules').toBeGreaterThan(0);
      expect((await sg.tuning.report()).timingRuns, "'cached' times nothing").toBe(runsBefore);
    }, 300_000);
  }
});

describe('the tuning cache', () => {
  it("is written as a file, read by 'cached' with zero timing runs, and keyed by adapter", async () => {
    await sg.tuning.clear();
    await step('mlp', { tune: true, tuneBudgetMs: 20_000 });
    const file = join(cacheHome, 'shadergrad', 'tuning.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    const rep = await sg.tuning.report();
    expect(rep.cache).toBe(file);
    const mine = json.adapters[rep.adapter];
    expect(Object.keys(mine).length).toBeGreaterThan(0);
    let runs = rep.timingRuns;
    expect(runs).toBeGreaterThan(0);
    const measured = new Set(rep.entries.filter((e) => e.plan === 'mlp' && e.source === 'measured').map((e) => e.site));
    expect(measured.size).toBeGreaterThan(0);
    await step('mlp', { tune: 'cached' });
    let after = await sg.tuning.report();
    expect(after.timingRuns).toBe(runs);
    for (const e of after.entries.filter((x) => x.plan === 'mlp')) {
      expect(e.source, e.site).toBe(measured.has(e.site) ? 'cache' : 'fixed: not cached');
    }
    // tune: true takes the cached sites from the cache (only sites the budget left out are timed now).
    await step('mlp', { tune: true, tuneBudgetMs: 20_000 });
    after = await sg.tuning.report();
    for (const e of after.entries.filter((x) => measured.has(x.site))) expect(e.source, e.site).toBe('cache');
    runs = after.timingRuns;
    // Another adapter: every site misses, the fixed rules run, nothing is timed.
    setAdapterKeyOverride('fake vendor | fake arch | fake device | fake driver');
    try {
      const other = await step('mlp', { tune: 'cached' });
      after = await sg.tuning.report();
      expect(after.adapter).toContain('fake vendor');
      expect(after.timingRuns).toBe(runs);
      expect(after.entries.length).toBeGreaterThan(0);
      expect(after.entries.every((e) => e.source === 'fixed: not cached' && e.chosen === e.fixed)).toBe(true);
      expect(other.rows.every((r) => !r.tuned || r.tuned.includes('= fixed rule'))).toBe(true);
    } finally {
      setAdapterKeyOverride(undefined);
    }
    await sg.tuning.clear();
    expect(() => readFileSync(file)).toThrow();
    expect((await sg.tuning.report()).entries).toEqual([]);
  }, 300_000);

  it('respects the budget: 0 ms times nothing; a small budget stops part way', async () => {
    await sg.tuning.clear();
    await step('cnn', { tune: true, tuneBudgetMs: 0 });
    let rep = await sg.tuning.report();
    expect(rep.timingRuns).toBe(0);
    expect(rep.entries.length).toBeGreaterThan(0);
    expect(rep.entries.every((e) => e.source === 'fixed: budget spent')).toBe(true);
    await sg.tuning.clear();
    const t0 = performance.now();
    await step('cnn', { tune: true, tuneBudgetMs: 40 });
    const took = performance.now() - t0;
    rep = await sg.tuning.report();
    expect(rep.entries.some((e) => e.source === 'fixed: budget spent')).toBe(true);
    expect(took).toBeLessThan(40 + 20_000); // the budget, plus compile, one step and one candidate's run
  }, 120_000);

  it('names bad options', async () => {
    const m = models.mlp;
    const base = { inputs: m.inputs };
    const fn = (x: Tensor) => sg.sum(x);
    await expect(sg.compile(fn, { ...base, tune: 'yes' as never })).rejects.toThrow(/tune must be true, false or 'cached', got "yes"/);
    await expect(sg.compile(fn, { ...base, tune: true, tuneBudgetMs: -1 })).rejects.toThrow(/tuneBudgetMs must be a number of milliseconds ≥ 0, got -1/);
    await expect(sg.compile(fn, { ...base, tuneBudgetMs: 100 })).rejects.toThrow(/tuneBudgetMs limits timing, which only tune: true does/);
    await expect(sg.compile(fn, { ...base, tuneBudget: 100 } as never)).rejects.toThrow(/tuneBudget/);
  });
});
