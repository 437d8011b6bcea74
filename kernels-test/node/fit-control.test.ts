// Stopping and pausing sg.train.fit from outside (issue #16, point 2): an AbortSignal, a FitController
// (pause / resume / stop) and model.stopTraining set in a callback — each within one step; a stopped fit
// reads back what ran, releases what it made, keeps its checkpoint coherent, and a second fit works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as sg from '../../src/index.js';

beforeAll(async () => {
  await sg.init({ quiet: true });
});
afterAll(() => sg.dispose());

const data = sg.data.spiral({ n: 200, noise: 0.1, seed: 3 });
// 200 samples in batches of 20: 10 steps an epoch.
const STEPS = 10;

const setup = (seed = 1) => {
  sg.manualSeed(seed);
  const model = sg.nn.sequential(sg.nn.linear(2, 16), sg.nn.relu(), sg.nn.linear(16, 3));
  const optimizer = sg.optim.adam(model.parameters(), { lr: 0.02 });
  return { model, optimizer };
};
const base = { data, loss: 'crossEntropy' as const, batchSize: 20, seed: 1 };

v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;
/** Collect garbage and let the FinalizationRegistry callbacks run. */
const gc = async () => {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('history.steps', () => {
  it('numbers each read-back loss by its step in the epoch, whatever plan ran it (a last partial batch has its own plan)', async () => {
    const { model, optimizer } = setup();
    const seen: string[] = [];
    const read: string[] = [];
    const h = await sg.train.fit(model, {
      ...base, data: sg.data.spiral({ n: 210, noise: 0.1, seed: 3 }), optimizer, epochs: 2,
      onStepEnd: ({ epoch, step }) => seen.push(`${epoch}:${step}`),
      onReadBack: (steps) => read.push(...steps.map((s) => `${s.epoch}:${s.step}`)),
    });
    // 210 samples in batches of 20: 10 full steps and one of 10 an epoch.
    const expected = [1, 2].flatMap((e) => Array.from({ length: 11 }, (_, i) => `${e}:${i + 1}`));
    expect(seen).toEqual(expected);
    expect(h.steps.map((s) => `${s.epoch}:${s.step}`)).toEqual(expected);
    expect(read).toEqual(expected);
  });
});

describe('fit({ signal })', () => {
  it('an abort mid-epoch stops within one step and resolves with the history so far', async () => {
    const { model, optimizer } = setup();
    const ac = new AbortController();
    let steps = 0;
    let abortedAt = 0;
    const h = await sg.train.fit(model, {
      ...base, optimizer, epochs: 5, signal: ac.signal,
      onStepEnd: ({ epoch, step }) => {
        steps++;
        if (epoch === 2 && step === 4) {
          ac.abort();
          abortedAt = steps;
        }
      },
    });
    expect(abortedAt).toBe(STEPS + 4);
    expect(steps).toBe(abortedAt); // not one step more
    expect(h.stopReason).toBe('aborted');
    expect(h.stoppedAt).toEqual({ epoch: 2, step: 4 });
    expect(h.epochs.map((e) => e.epoch)).toEqual([1]); // the partial epoch has no record
    // Every step that ran had its loss read back (the ring was drained at the stop).
    expect(h.steps.length).toBe(STEPS + 4);
    expect(h.steps.at(-1)).toMatchObject({ epoch: 2, step: 4 }); // numbered within the epoch, as onStepEnd
    expect(h.steps.every((s) => Number.isFinite(s.loss))).toBe(true);
    expect(optimizer.state.step).toBe(STEPS + 4); // the weights are those of the last step run
  });

  it('an abort from a timer (outside any callback) is seen within one step', async () => {
    const { model, optimizer } = setup();
    const ac = new AbortController();
    let steps = 0;
    let atAbort = -1;
    setTimeout(() => {
      atAbort = steps;
      ac.abort();
    }, 30);
    const h = await sg.train.fit(model, { ...base, optimizer, epochs: 200, signal: ac.signal, onStepEnd: () => steps++ });
    expect(h.stopReason).toBe('aborted');
    expect(atAbort).toBeGreaterThanOrEqual(0);
    expect(steps - atAbort).toBeLessThanOrEqual(1);
    expect(steps).toBeLessThan(200 * STEPS);
  });

  it('an already-aborted signal returns at once, before any step or GPU allocation', async () => {
    const { model, optimizer } = setup();
    const before = sg.stats();
    let steps = 0;
    const h = await sg.train.fit(model, { ...base, optimizer, epochs: 3, signal: AbortSignal.abort(), onStepEnd: () => steps++ });
    expect(h.stopReason).toBe('aborted');
    expect(h.stoppedAt).toEqual({ epoch: 1, step: 0 });
    expect(h.epochs).toEqual([]);
    expect(h.steps).toEqual([]);
    expect(steps).toBe(0);
    expect(sg.stats().buffersCreated).toBe(before.buffersCreated);
    expect(optimizer.state.step).toBe(0);
  });

  it('rejects a signal that is not an AbortSignal, naming it', async () => {
    const { model, optimizer } = setup();
    await expect(sg.train.fit(model, { ...base, optimizer, epochs: 1, signal: true as never })).rejects.toThrow(/fit: `signal` must be an AbortSignal/);
    await expect(sg.train.fit(model, { ...base, optimizer, epochs: 1, control: {} as never })).rejects.toThrow(/fit: `control` must be an sg\.train\.FitController/);
  });
});

describe('model.stopTraining', () => {
  it('set in onStepEnd: training ends after that step', async () => {
    const { model, optimizer } = setup();
    let steps = 0;
    const h = await sg.train.fit(model, {
      ...base, optimizer, epochs: 4,
      onStepEnd: ({ epoch, step }) => {
        steps++;
        if (epoch === 3 && step === 7) model.stopTraining = true;
      },
    });
    expect(steps).toBe(2 * STEPS + 7);
    expect(h.stopReason).toBe('stopTraining');
    expect(h.stoppedAt).toEqual({ epoch: 3, step: 7 });
    expect(h.epochs.length).toBe(2);
    expect(h.steps.length).toBe(2 * STEPS + 7);
  });

  it('set in onEpochEnd: training ends after that epoch; the next fit resets it', async () => {
    const { model, optimizer } = setup();
    const h = await sg.train.fit(model, {
      ...base, optimizer, epochs: 6,
      onEpochEnd: (r) => {
        if (r.epoch === 2) model.stopTraining = true;
      },
    });
    expect(h.stopReason).toBe('stopTraining');
    expect(h.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(h.stoppedAt).toEqual({ epoch: 3, step: 0 }); // before the first step of epoch 3
    expect(h.steps.length).toBe(2 * STEPS);
    expect(model.stopTraining).toBe(true);
    // Set on the last epoch: the run is reported as stopped, not completed.
    const last = await sg.train.fit(model, { ...base, optimizer, epochs: 1, onEpochEnd: () => void (model.stopTraining = true) });
    expect(last.stopReason).toBe('stopTraining');
    expect(last.stoppedAt).toEqual({ epoch: 2, step: 0 });
    const again = await sg.train.fit(model, { ...base, optimizer, epochs: 2 });
    expect(again.stopReason).toBe('completed');
    expect(again.epochs.length).toBe(2);
    expect(model.stopTraining).toBe(false);
  });

  it('early stopping reports its own reason', async () => {
    const { model, optimizer } = setup();
    // Patience 1 with minDelta 10: no epoch improves on the first by that much.
    const h = await sg.train.fit(model, { ...base, optimizer, epochs: 10, earlyStopping: { patience: 1, minDelta: 10, monitor: 'trainLoss', restoreBest: false } });
    expect(h.stopReason).toBe('earlyStopping');
    expect(h.stoppedEarly).toBe(true);
    expect(h.epochs.length).toBe(2);
  });
});

describe('FitController', () => {
  it('pause takes effect after the step in flight; resume goes on; every epoch completes', async () => {
    const { model, optimizer } = setup();
    const ctl = new sg.train.FitController();
    const events: string[] = [];
    ctl.subscribe((e) => events.push(`${e.type} ${e.epoch}:${e.step}`));
    let steps = 0;
    let pausedAt = -1;
    let whilePaused = -1;
    const run = sg.train.fit(model, {
      ...base, optimizer, epochs: 3, control: ctl,
      onStepEnd: ({ epoch, step }) => {
        steps++;
        if (epoch === 2 && step === 3) {
          pausedAt = steps;
          void ctl.pause().then(async () => {
            expect(ctl.parked).toBe(true);
            // Parked: no step runs, however long we wait, and every step run has its loss read back.
            await new Promise((r) => setTimeout(r, 100));
            whilePaused = steps;
            ctl.resume();
          });
        }
      },
    });
    const h = await run;
    expect(pausedAt).toBe(STEPS + 3);
    expect(whilePaused).toBe(pausedAt);
    expect(events).toEqual(['paused 2:3', 'resumed 2:3']);
    expect(h.stopReason).toBe('completed');
    expect(h.epochs.length).toBe(3);
    expect(h.steps.length).toBe(3 * STEPS);
    expect(ctl.parked).toBe(false);
  });

  it('a pause requested before fit parks before the first step; stop() while parked ends the run', async () => {
    const { model, optimizer } = setup();
    const ctl = new sg.train.FitController();
    await ctl.pause(); // no fit runs: resolves at once
    let steps = 0;
    const parked = new Promise<void>((r) => ctl.subscribe((e) => e.type === 'paused' && r()));
    const run = sg.train.fit(model, { ...base, optimizer, epochs: 2, control: ctl, onStepEnd: () => steps++ });
    await parked;
    expect(steps).toBe(0);
    ctl.stop();
    const h = await run;
    expect(h.stopReason).toBe('aborted');
    expect(h.stoppedAt).toEqual({ epoch: 1, step: 0 }); // before the first step of epoch 1
    expect(h.steps).toEqual([]);
    expect(steps).toBe(0);
    // A stopped controller stays stopped.
    const again = await sg.train.fit(model, { ...base, optimizer, epochs: 1, control: ctl });
    expect(again.stopReason).toBe('aborted');
  });

  it('the signal given to fit also wakes a parked fit', async () => {
    const { model, optimizer } = setup();
    const ctl = new sg.train.FitController();
    const ac = new AbortController();
    const run = sg.train.fit(model, {
      ...base, optimizer, epochs: 2, control: ctl, signal: ac.signal,
      onStepEnd: ({ step }) => {
        if (step === 2) void ctl.pause().then(() => ac.abort());
      },
    });
    const h = await run;
    expect(h.stopReason).toBe('aborted');
    expect(h.stoppedAt).toEqual({ epoch: 1, step: 2 });
    expect(h.steps.length).toBe(2);
  });

  it('one controller drives one fit at a time', async () => {
    const { model, optimizer } = setup();
    const m2 = setup(2);
    const ctl = new sg.train.FitController();
    const a = sg.train.fit(model, { ...base, optimizer, epochs: 2, control: ctl });
    await new Promise((r) => setTimeout(r, 0));
    await expect(sg.train.fit(m2.model, { ...base, optimizer: m2.optimizer, epochs: 1, control: ctl })).rejects.toThrow(/already drives a running fit/);
    expect((await a).stopReason).toBe('completed');
  });
});

describe('after a stop', () => {
  it('a stopped fit releases what it made; a second fit trains on; the checkpoint holds the last whole epoch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-fit-control-'));
    const checkpoint = join(dir, 'run.safetensors');
    const { model, optimizer } = setup(5);
    // Warm-up with the same options (pipelines, pool classes, caches), then measure around a stopped fit.
    await sg.train.fit(model, { ...base, optimizer, epochs: 1, checkpoint: join(dir, 'warm.safetensors'), validationSplit: 0.2 });
    await gc();
    const before = sg.stats();
    const ctl = new sg.train.FitController();
    const h = await sg.train.fit(model, {
      ...base, optimizer, epochs: 5, control: ctl, checkpoint, validationSplit: 0.2,
      onStepEnd: ({ epoch, step }) => {
        if (epoch === 2 && step === 5) ctl.stop();
      },
    });
    expect(h.stopReason).toBe('aborted');
    expect(h.epochs.length).toBe(1);
    await gc();
    const after = sg.stats();
    expect(after.buffersInUse).toBeLessThanOrEqual(before.buffersInUse);
    expect(after.bytesInUse).toBeLessThanOrEqual(before.bytesInUse);
    expect(after.liveTensors).toBeLessThanOrEqual(before.liveTensors);

    // The checkpoint is epoch 1's: resuming continues with epoch 2, whatever the stop left in the model.
    const ck = await sg.io.loadCheckpoint(checkpoint);
    expect((ck.metadata.fit as { epoch: number }).epoch).toBe(1);
    const resumed = setup(9);
    const r = await sg.train.fit(resumed.model, { ...base, optimizer: resumed.optimizer, epochs: 3, validationSplit: 0.2, resumeFrom: checkpoint });
    expect(r.stopReason).toBe('completed');
    expect(r.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);

    // The stopped model trains on in a second fit.
    const again = await sg.train.fit(model, { ...base, optimizer, epochs: 2 });
    expect(again.stopReason).toBe('completed');
    expect(again.steps.length).toBe(2 * STEPS);
    expect(again.epochs[1].trainLoss).toBeLessThan(h.steps[0].loss);
  });
});
