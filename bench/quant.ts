// npx tsx bench/quant.ts [--model cnn|mlp] [--count N] [--epochs E] [--batch B] [--reps R] — post-training
// int8 quantisation (sg.quantize) against f32 inference, in one run: a model (the CLI's mlp or cnn) is
// trained on MNIST digits for the bench (the first 80 % of `count`, seed 1), quantised with 8 calibration
// batches of its training digits (MinMaxObserver, quint8 activations, per-channel int8 weights), then on
// the held-out 20 %: accuracy of f32 and int8, state bytes (sizeBytes vs the f32 state dict) and the
// inference time of a batch of B digits (forward + read-back, median of R, the versions alternating):
// f32, int8 with dot4I8Packed ('dot4', where the WGSL language feature exists) and int8 'unpack'.
import * as sg from '../src/index.js';
import { buildModel } from '../src/cli/setup.js';
import { adapterLine, arg, median } from './steps.js';
import { wgslLanguageFeature } from '../src/gpu/device.js';

const modelName = arg('model', 'cnn') as 'cnn' | 'mlp';
const count = Number(arg('count', '5000'));
const epochs = Number(arg('epochs', '2'));
const B = Number(arg('batch', '256'));
const reps = Number(arg('reps', '9'));

const info = await sg.init({ quiet: true });
console.log(adapterLine(info));

const all = await sg.data.mnist({ count, seed: 1 });
const nTrain = Math.floor(0.8 * all.length);
const per = 28 * 28;
const slice = (a: number, b: number): sg.data.Dataset => ({
  x: all.x.subarray(a * per, b * per), y: all.y.subarray(a, b), xShape: all.xShape, yShape: [], numClasses: 10, length: b - a,
});
const train = slice(0, nTrain);
const test = slice(nTrain, all.length);

sg.manualSeed(1);
const model = buildModel(modelName, [1, 28, 28], 10);
const t0 = performance.now();
await sg.train.fit(model, { data: train, loss: 'crossEntropy', optimizer: sg.optim.adam(model.parameters(), { lr: 1e-3 }), epochs, batchSize: 64 });
console.log(`trained ${modelName} on ${train.length} digits for ${epochs} epoch(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
model.eval();

const q = await sg.quantize(model, { calibration: train, batches: 8, batchSize: 64 });

async function accuracy(m: sg.nn.Module): Promise<number> {
  let right = 0;
  for (let s = 0; s < test.length; s += B) {
    const n = Math.min(B, test.length - s);
    const logits = (await m.forward(sg.tensor(test.x.subarray(s * per, (s + n) * per), [n, 1, 28, 28])).data()) as Float32Array;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
      if (best === test.y[s + i]) right++;
    }
  }
  return right / test.length;
}

const f32Bytes = Object.values(model.stateDict()).reduce((n, t) => n + 4 * t.size, 0);
const x = sg.tensor(test.x.subarray(0, Math.min(B, test.length) * per), [Math.min(B, test.length), 1, 28, 28]);
const versions: [string, () => sg.nn.Module][] = [['f32', () => model], ['int8 unpack', () => q.setDot('unpack')]];
if (wgslLanguageFeature('packed_4x8_integer_dot_product')) versions.push(['int8 dot4', () => q.setDot('dot4')]);
const times = new Map(versions.map(([k]) => [k, [] as number[]]));
for (let r = 0; r < reps + 2; r++) {
  for (const [k, pick] of versions) {
    const m = pick();
    const t = performance.now();
    await m.forward(x).data();
    if (r >= 2) times.get(k)!.push(performance.now() - t);
  }
}
q.setDot('auto');
const accF32 = await accuracy(model);
const accInt8 = await accuracy(q);
const rows = ['| version | accuracy | state bytes | ms / batch of ' + x.shape[0] + ' |', '|---|---|---|---|'];
for (const [k] of versions) {
  const acc = k === 'f32' ? accF32 : accInt8;
  const bytes = k === 'f32' ? f32Bytes : q.sizeBytes();
  rows.push(`| ${k} | ${(100 * acc).toFixed(2)} % | ${bytes} | ${median(times.get(k)!).toFixed(2)} |`);
}
console.log(`\n${modelName}, ${test.length} held-out digits; int8 layers: ${[...q.layers.keys()].join(', ')}\n`);
console.log(rows.join('\n'));
console.log(JSON.stringify({ model: modelName, accuracy: { f32: accF32, int8: accInt8 }, bytes: { f32: f32Bytes, int8: q.sizeBytes() },
  ms: Object.fromEntries([...times].map(([k, v]) => [k, median(v)])) }));
sg.dispose();
