// The page demos/test/vis.mjs drives: shadergrad/vis's charts drawn from a History and an
// EpochRecord[], a confusion matrix, update batching (many updates, one draw per frame), and a real
// sg.train.fit on WebGPU feeding fitCallbacks. It reports to window.__vis; the driver inspects the
// charts (pixels, legend placement, tick labels) through window.__vis.charts.
import * as sg from 'shadergrad';
import * as vis from '../../../src/vis/index.js';

interface VisState {
  status: 'running' | 'done' | 'error';
  message?: string;
  result: Record<string, unknown>;
  charts: Record<string, vis.Chart<never> | undefined>;
}
declare global {
  interface Window {
    __vis: VisState;
  }
}

const state: VisState = { status: 'running', result: {}, charts: {} };
window.__vis = state;
const $ = (id: string) => document.getElementById(id)!;
const frames = (n: number) => new Promise<void>((resolve) => {
  const next = (k: number) => (k === 0 ? resolve() : requestAnimationFrame(() => next(k - 1)));
  next(n);
});

async function run(): Promise<void> {
  // ---- charts from recorded training: 4 epochs of 25 steps, a constant learning rate of 5.09e-4
  const epochs: sg.train.EpochRecord[] = [1, 2, 3, 4].map((epoch) => ({
    epoch, trainLoss: 1.2 / epoch, trainAccuracy: 0.6 + 0.08 * epoch, valLoss: 1.3 / epoch, valAccuracy: 0.55 + 0.08 * epoch,
    lr: 5.09e-4, seconds: 1, samplesPerSecond: 800,
  }));
  const steps = epochs.flatMap((e) => Array.from({ length: 25 }, (_, i) => ({ epoch: e.epoch, step: i + 1, loss: 2.3 / (e.epoch + i / 25) + 0.05 * Math.sin(i) })));
  const loss = vis.lossCurve($('loss'), { epochs, steps }, { title: 'Loss' });
  const accuracy = vis.accuracyCurve($('accuracy'), epochs, { title: 'Accuracy' });
  const lr = vis.lrCurve($('lr'), epochs, { title: 'Learning rate' });
  const confusion = vis.confusionMatrix($('confusion'), [[50, 3, 1], [4, 41, 9], [0, 6, 47]], ['cat', 'dog', 'bird']);
  Object.assign(state.charts, { loss, accuracy, lr });
  await frames(2);

  // ---- batching: 500 updates within one task draw once, at the next frame
  let draws = 0;
  const plot = lr.plot!;
  const setData = plot.setData.bind(plot);
  plot.setData = (...args: Parameters<typeof setData>) => {
    draws++;
    return setData(...args);
  };
  for (let i = 0; i < 500; i++) lr.update(epochs.slice(0, 1 + (i % 4)));
  const before = draws;
  await frames(3);
  state.result.batching = { updates: 500, drawsBeforeFrame: before, drawsAfter: draws };
  state.result.confusion = { width: confusion.element.width, height: confusion.element.height };

  // ---- a real fit on WebGPU with fitCallbacks
  await sg.init();
  sg.nn.manualSeed(1);
  const data = sg.data.spiral({ n: 300, seed: 1 });
  const model = sg.nn.sequential(sg.nn.linear(2, 32), sg.nn.relu(), sg.nn.linear(32, 3));
  const callbacks = vis.fitCallbacks($('fit'));
  const history = await sg.train.fit(model, {
    data, validationSplit: 0.2, loss: 'crossEntropy', optimizer: sg.optim.adam(model.parameters(), { lr: 2e-2 }),
    epochs: 3, batchSize: 32, seed: 1, metrics: ['accuracy'], ...callbacks,
  });
  callbacks.flush();
  Object.assign(state.charts, { fitLoss: callbacks.charts.loss, fitAccuracy: callbacks.charts.accuracy, fitLr: callbacks.charts.lr });
  state.result.fit = {
    historySteps: history.steps.length, historyEpochs: history.epochs.length,
    logSteps: callbacks.log.steps.map((s) => [s.x, s.loss]), logEpochs: callbacks.log.epochs.map((e) => e.x),
    historyLosses: history.steps.map((s) => s.loss), keys: Object.keys(callbacks),
  };
  await frames(2);
  sg.dispose();
}

run().then(() => {
  state.status = 'done';
}, (e: unknown) => {
  state.status = 'error';
  state.message = e instanceof Error ? `${e.message}\n${e.stack}` : String(e);
});
