// npx tsx bench/prune.ts [--model mlp|cnn] [--amounts 0.5,0.75] [--batch B] [--reps R] — structured
// pruning's payoff: the CLI MLP (784-128-10) pruned with sg.nn.prune.lnStructured (L2, dim 0) on its
// hidden layer, or the CLI CNN on both convolutions (the second becomes a Conv2dWithConstantMap), and
// compacted (sg.nn.prune.compact) against the dense model, in one run: parameters, bytes moved per
// training step (the plans' cost models) and the step time (Adam, run + flush, median of R, the plans
// alternating). Random weights: the figures are about size and speed, not accuracy (README: MNIST).
import * as sg from '../src/index.js';
import { buildModel } from '../src/cli/setup.js';
import { adapterLine, arg, labels, median, rand } from './steps.js';

const modelName = arg('model', 'mlp') as 'mlp' | 'cnn';
const amounts = arg('amounts', '0.5,0.75').split(',').map(Number);
const B = Number(arg('batch', '64'));
const reps = Number(arg('reps', '9'));

const info = await sg.init({ quiet: true });
console.log(adapterLine(info));

async function stepPlan(model: sg.nn.Module) {
  const opt = sg.optim.adam(model.parameters(), { lr: 1e-3 });
  const plan = await sg.compile((x, y) => sg.crossEntropy(model.forward(x), y), {
    inputs: [{ shape: [B, 1, 28, 28] }, { shape: [B], dtype: 'i32' }], params: opt.params, optimizer: opt,
  });
  return { plan, opt };
}

const x = rand(B * 784, 1);
const y = labels(B, 10);
sg.manualSeed(1);
const variants: { name: string; model: sg.nn.Module }[] = [{ name: 'dense', model: buildModel(modelName, [1, 28, 28], 10) }];
for (const amount of amounts) {
  sg.manualSeed(1);
  const m = buildModel(modelName, [1, 28, 28], 10);
  const weighted = (m as sg.nn.Sequential).layers.filter((l) => l instanceof sg.nn.Linear || l instanceof sg.nn.Conv2d);
  // Every Linear / Conv2d but the classifier (the MLP: its hidden layer; the CNN: both convolutions).
  for (const l of weighted.slice(0, -1)) await sg.nn.prune.lnStructured(l, 'weight', { amount, n: 2, dim: 0 });
  variants.push({ name: `structured ${amount}, compacted`, model: (await sg.nn.prune.compact(m)).model });
}
const plans = await Promise.all(variants.map((v) => stepPlan(v.model)));
const times: number[][] = variants.map(() => []);
for (let r = 0; r < reps + 2; r++) {
  for (let k = 0; k < plans.length; k++) {
    const t0 = performance.now();
    plans[k].plan.run(x, y);
    await plans[k].plan.flush();
    if (r >= 2) times[k].push(performance.now() - t0);
  }
}
const dense = median(times[0]);
const lines = ['| model | parameters | bytes per step | ms per step | ÷ dense time |', '|---|---:|---:|---:|---:|'];
variants.forEach((v, k) => {
  const t = median(times[k]);
  lines.push(`| ${v.name} | ${v.model.numParameters()} | ${(plans[k].plan.figures().bytes / 1e6).toFixed(2)} MB | ${t.toFixed(1)} | ${(t / dense).toFixed(2)} |`);
});
console.log(`\n${modelName === 'mlp' ? 'MLP 784-128-10' : 'CNN (the CLI default)'} training step, batch ${B}, Adam\n\n${lines.join('\n')}\n`);
for (const p of plans) {
  p.plan.dispose();
  p.opt.dispose();
}
sg.dispose();
