// sg.worker (issue #16, point 1): serve() and spawn() talking over a MessageChannel in one Node process
// — the same protocol a page and its Web Worker use (demos/test/run.mjs runs it in real workers in
// Chromium). Built-in spec models, fit with streamed events and per-epoch grid predictions, pause /
// resume / stop, predict, evaluate, save / load, named data and custom methods, and the errors:
// unknown method, remote errors rebuilt as their class, a crashed worker, a worker that never serves,
// a device lost in the worker.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const data = sg.data.spiral({ n: 200, noise: 0.1, seed: 3 });
const spec = {
  seed: 1,
  layers: [{ type: 'linear', in: 2, out: 16 }, { type: 'tanh' }, { type: 'linear', in: 16, out: 3 }],
  optimizer: { type: 'adam', lr: 0.02 },
} satisfies sg.worker.ModelSpec;

/** A worker in this process: serve on one end of a MessageChannel, spawn on the other. */
async function connect(serveSpec: sg.worker.ServeSpec<never> = {}) {
  const ch = new MessageChannel();
  const stop = sg.worker.serve(serveSpec as sg.worker.ServeSpec, ch.port1 as unknown as sg.worker.Endpoint);
  const w = await sg.worker.spawn(ch.port2 as unknown as sg.worker.WorkerLike);
  return { w, close: () => (stop(), ch.port1.close(), ch.port2.close()) };
}

describe('sg.worker over a MessageChannel', () => {
  it('builds a spec model, fits with streamed events and grid predictions, predicts, evaluates', async () => {
    const { w, close } = await connect();
    try {
      expect(w.methods).toEqual(expect.arrayContaining(['build', 'fit', 'evaluate', 'predict', 'save', 'load']));
      const built = await w.build(spec);
      expect(built.parameters).toBe(2 * 16 + 16 + 16 * 3 + 3);
      expect(built.summary).toMatch(/Linear/);
      const grid = new Float32Array([0, 0, 0.5, 0.5, -0.5, 0.25, 1, -1]);
      const epochs: sg.worker.EpochEvent[] = [];
      const read: number[] = [];
      let steps = 0;
      const h = await w.fit({
        data, epochs: 4, batchSize: 20, seed: 1, validationSplit: 0.2,
        predictEachEpoch: { x: grid, shape: [4, 2], softmax: true },
        onStepEnd: () => steps++, onEpochEnd: (e) => epochs.push(e), onReadBack: (s) => read.push(...s.map((r) => r.loss)),
      });
      expect(h.stopReason).toBe('completed');
      expect(h.epochs.length).toBe(4);
      expect(h.epochs[3].trainLoss).toBeLessThan(h.epochs[0].trainLoss);
      expect(steps).toBe(4 * 8);
      expect(read).toEqual(h.steps.map((s) => s.loss));
      expect(epochs.map((e) => e.record.epoch)).toEqual([1, 2, 3, 4]);
      for (const e of epochs) {
        expect(e.predictions).toBeInstanceOf(Float32Array);
        expect(e.predictions!.length).toBe(4 * 3);
        for (let r = 0; r < 4; r++) expect(e.predictions![3 * r] + e.predictions![3 * r + 1] + e.predictions![3 * r + 2]).toBeCloseTo(1, 5);
      }
      // The last epoch's grid predictions are the model's now.
      const p = await w.predict(grid, [4, 2], { softmax: true });
      expect(p.shape).toEqual([4, 3]);
      expect(Array.from(p.data)).toEqual(Array.from(epochs[3].predictions!));
      const ev = await w.evaluate(data, { loss: 'crossEntropy' });
      expect(ev.accuracy).toBeGreaterThan(0.4);
      expect(ev.predictions).toBeInstanceOf(Int32Array);
    } finally {
      close();
    }
  });

  it('save → bytes, a fresh build, load → the same predictions (with the optimizer state)', async () => {
    const { w, close } = await connect();
    try {
      await w.build(spec);
      await w.fit({ data, epochs: 2, batchSize: 50 });
      const x = new Float32Array([0.1, 0.2, -0.3, 0.4]);
      const before = await w.predict(x, [2, 2]);
      const bytes = await w.save({ metadata: { note: 'test' } });
      expect(bytes).toBeInstanceOf(Uint8Array);
      await w.build({ ...spec, seed: 99 });
      const fresh = await w.predict(x, [2, 2]);
      expect(Array.from(fresh.data)).not.toEqual(Array.from(before.data));
      const meta = await w.load(bytes);
      expect(meta.note).toBe('test');
      expect(Array.from((await w.predict(x, [2, 2])).data)).toEqual(Array.from(before.data));
      // The optimizer's state came back too: the next fit continues its step count.
      const h = await w.fit({ data, epochs: 1, batchSize: 50 });
      expect(h.stopReason).toBe('completed');
      await expect(w.load({ opfs: 'x.safetensors' })).rejects.toThrow(/OPFS|origin private file system|navigator/i);
    } finally {
      close();
    }
  });

  it('pause parks after the step in flight, resume goes on, stop resolves with the history so far', async () => {
    const { w, close } = await connect();
    try {
      await w.build(spec);
      expect(await w.pause()).toBeUndefined(); // nothing runs
      await w.resume();
      let steps = 0;
      const parkedAt: { epoch: number; step: number }[] = [];
      const run = w.fit({ data, epochs: 200, batchSize: 20, onStepEnd: () => steps++, onPaused: (at) => parkedAt.push(at) });
      while (steps < 5) await new Promise((r) => setTimeout(r, 5));
      const at = await w.pause();
      const seen = steps;
      expect(at).toBeDefined();
      expect(parkedAt).toEqual([at]);
      // Events are in flight at most one step behind the pause; then nothing runs.
      await new Promise((r) => setTimeout(r, 150));
      expect(steps).toBe(seen);
      expect((at!.epoch - 1) * 10 + at!.step).toBe(seen);
      await w.resume();
      while (steps < seen + 5) await new Promise((r) => setTimeout(r, 5));
      await w.stop();
      const h = await run;
      expect(h.stopReason).toBe('aborted');
      expect(h.steps.length).toBe(steps);
      expect(steps).toBeLessThan(200 * 10);
      // The worker trains again after a stop.
      const again = await w.fit({ data, epochs: 1, batchSize: 20 });
      expect(again.stopReason).toBe('completed');
    } finally {
      close();
    }
  });

  it('named data loaded in the worker and custom methods with events and transferred results', async () => {
    const loads: unknown[] = [];
    const { w, close } = await connect({
      model: (cfg: { hidden: number }) => {
        sg.manualSeed(2);
        return sg.nn.sequential(sg.nn.linear(2, cfg.hidden), sg.nn.relu(), sg.nn.linear(cfg.hidden, 2));
      },
      optimizer: (m) => sg.optim.sgd(m.parameters(), { lr: 0.1 }),
      data: {
        moons: (args) => {
          loads.push(args);
          return sg.data.moons({ n: 120, noise: 0.1, seed: (args as { seed: number }).seed });
        },
      },
      methods: {
        countdown: async (ctx, n: number) => {
          for (let i = n; i > 0; i--) ctx.emit('tick', i);
          const out = new Float32Array([ctx.model.numParameters(), (ctx.config as { hidden: number }).hidden]);
          return sg.worker.transfer(out, [out.buffer]);
        },
        shape: () => sg.matmul(sg.tensor([1, 2], [1, 2]), sg.tensor([1, 2, 3], [3, 1])),
        lose: () => {
          throw new sg.DeviceLostError('shadergrad: the GPU device was lost (test)');
        },
      },
    } as sg.worker.ServeSpec<never>);
    try {
      await expect(w.fit({ data: 'moons', epochs: 1, batchSize: 20 })).rejects.toThrow(/no model yet: call proxy\.build/);
      await w.build({ hidden: 8 });
      const h = await w.fit({ data: { name: 'moons', args: { seed: 4 } }, epochs: 3, batchSize: 20 });
      expect(h.epochs.length).toBe(3);
      await w.evaluate({ name: 'moons', args: { seed: 4 } });
      expect(loads).toEqual([{ seed: 4 }]); // loaded once, cached
      await expect(w.fit({ data: 'circles', epochs: 1, batchSize: 20 })).rejects.toThrow(/no data set named "circles".*"moons"/);
      const ticks: unknown[] = [];
      const out = await w.call<Float32Array>('countdown', [3], { onEvent: (name, p) => ticks.push([name, p]) });
      expect(ticks).toEqual([['tick', 3], ['tick', 2], ['tick', 1]]);
      expect(Array.from(out)).toEqual([2 * 8 + 8 + 8 * 2 + 2, 8]);
      const unknown = await w.call('nope').catch((e: sg.worker.WorkerError) => e);
      expect(unknown).toBeInstanceOf(sg.worker.WorkerError);
      expect((unknown as sg.worker.WorkerError).kind).toBe('unknown-method');
      expect((unknown as Error).message).toMatch(/serves no method "nope"; it serves build, fit, .*countdown/);
      await expect(w.call('shape')).rejects.toBeInstanceOf(sg.ShapeError);
      const lost = await w.call('lose').catch((e: Error) => e);
      expect(lost).toBeInstanceOf(sg.DeviceLostError);
      expect((lost as Error).message).toMatch(/device was lost \(test\).*in the worker, lose/);
      // A function cannot cross: a clear error, not a hang.
      await expect(w.call('countdown', [() => 1])).rejects.toThrow(/cannot be sent to a worker/);
      await expect(w.predict(sg.tensor([1, 2], [1, 2]) as never, [1, 2])).rejects.toThrow(/cannot be sent to a worker|must be a Float32Array/);
    } finally {
      close();
    }
  });

  it('a custom training loop pauses and stops through ctx.step', async () => {
    const { w, close } = await connect({
      methods: {
        loop: async (ctx) => {
          let i = 0;
          while (!(await ctx.step({ epoch: 1, step: ++i }))) ctx.emit('step', i);
          return i;
        },
      },
    });
    try {
      const seen: number[] = [];
      const run = w.call<number>('loop', [], { onEvent: (n, p) => n === 'step' && seen.push(p as number) });
      while (seen.length < 3) await new Promise((r) => setTimeout(r, 2));
      const at = await w.pause();
      const count = seen.length;
      await new Promise((r) => setTimeout(r, 50));
      expect(seen.length).toBe(count);
      expect(at!.step).toBe(count + 1);
      await w.stop();
      expect(await run).toBe(count + 1);
    } finally {
      close();
    }
  });

  it('a crashed worker rejects pending and later calls; one that never serves times out', async () => {
    // A fake Worker: answers 'ready', then crashes on the first call.
    const fake = new EventTarget() as EventTarget & { postMessage(m: unknown): void; terminate(): void };
    let terminated = false;
    fake.postMessage = () => setTimeout(() => fake.dispatchEvent(Object.assign(new Event('error'), { message: 'Uncaught TypeError: boom', filename: 'train.worker.js', lineno: 7 })), 5);
    fake.terminate = () => void (terminated = true);
    setTimeout(() => fake.dispatchEvent(new MessageEvent('message', { data: { sg: 'shadergrad-worker/1', kind: 'ready', methods: ['build'] } })), 1);
    const w = await sg.worker.spawn(fake as unknown as sg.worker.WorkerLike);
    const e = await w.build(spec).catch((err) => err);
    expect(e).toBeInstanceOf(sg.worker.WorkerError);
    expect(e.kind).toBe('crashed');
    expect(e.message).toMatch(/the worker crashed: Uncaught TypeError: boom \(train\.worker\.js:7\)/);
    await expect(w.predict(new Float32Array(2), [1, 2])).rejects.toThrow(/the worker crashed/);
    w.terminate();
    expect(terminated).toBe(true);

    const silent = Object.assign(new EventTarget(), { postMessage() {} });
    await expect(sg.worker.spawn(silent as unknown as sg.worker.WorkerLike, { readyTimeoutMs: 50 })).rejects.toThrow(/did not call sg\.worker\.serve\(\) within 50 ms/);
  });

  it('serve() outside a worker, and a spec method named like a built-in, are refused', () => {
    expect(() => sg.worker.serve()).toThrow(/worker\.serve: no endpoint to serve on/);
    const g = globalThis as { document?: unknown };
    g.document = {};
    try {
      expect(() => sg.worker.serve()).toThrow(/worker\.serve: called on a page; call it in the worker module/);
    } finally {
      delete g.document;
    }
    const ch = new MessageChannel();
    expect(() => sg.worker.serve({ methods: { fit: () => 1 } }, ch.port1 as unknown as sg.worker.Endpoint)).toThrow(/methods\.fit would hide the built-in fit\(\)/);
    ch.port1.close();
  });

  it('a device lost in the worker during a fit rejects it with DeviceLostError (no hang)', async () => {
    const { w, close } = await connect({ methods: { loseDevice: () => sg.device().destroy() } });
    try {
      await w.build(spec);
      let steps = 0;
      const run = w.fit({ data, epochs: 500, batchSize: 20, onStepEnd: () => steps++ });
      while (steps < 3) await new Promise((r) => setTimeout(r, 5));
      await w.call('loseDevice');
      const err = await run.catch((e: Error) => e);
      expect(err).toBeInstanceOf(sg.DeviceLostError);
      await expect(w.predict(new Float32Array(2), [1, 2])).rejects.toBeInstanceOf(sg.DeviceLostError);
    } finally {
      close();
      await sg.init({ quiet: true });
    }
  });
});
