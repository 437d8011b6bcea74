// The landing page: a card per demo, and whether this browser exposes WebGPU at all.
import { banner, el, header } from './shared/ui.js';

header('');

const demos: [string, string, string][] = [
  ['mnist', 'MNIST, live', 'Train an MLP or a small CNN on 10,000 embedded handwritten digits: loss and accuracy curves, the learning-rate schedule, a confusion matrix, samples/s, pause and resume, checkpoints (download and OPFS), and a pad to draw your own digit.'],
  ['playground', 'Playground', 'TensorFlow Playground\'s idea on shadergrad: pick a data set, layers, activation, initialisation, optimizer, schedule and regularisation, and watch the decision boundary form. Presets for the course\'s lessons: vanishing gradients, zero initialisation, a learning rate too large, overfitting and early stopping.'],
  ['gpt', 'Tiny GPT', 'A two-layer transformer learns characters live: first names or Moby Dick. The loss falls past the bigram baseline, samples turn from noise into names (a temperature slider sets how bold), and each attention head\'s map shows which earlier characters it reads.'],
  ['clip', 'CLIP on digits', 'An image encoder and a text encoder learn one shared space from digits paired with captions ("a handwritten seven"). The contrastive loss falls, the temperature is learned, held-out digits are classified zero-shot (a confusion matrix), and a caption you type retrieves the digits it describes.'],
  ['compress', 'Compress a model', 'Prune the MNIST CNN with a slider (PyTorch\'s prune API: global or per-layer L1, structured channels) and watch the test accuracy and every layer\'s weight mask change; fine-tune the pruned model; quantise it to int8 and compare size, accuracy and time, with the WGSL int8 kernel that ran; ROC and precision–recall curves of the current model.'],
  ['inspector', 'Step inspector', 'One compiled training step, dispatch by dispatch: the timeline from plan.explain() and plan.profile(), and for each dispatch its WGSL, the float64 CPU reference it is tested against, grid and workgroup sizes, buffer slots (and their reuse), FLOPs, bytes and time.'],
  ['bench', 'Kernel bench', 'The matmul benchmark of bench/ in the page: every shadergrad matmul version (naive → tiled → vec4) checked against a float64 reference and timed beside TensorFlow.js (WebGPU) and jax-js on the same adapter.'],
];

const cards = document.getElementById('cards')!;
for (const [dir, title, text] of demos) {
  cards.append(el('a', { href: `./${dir}/index.html`, class: 'panel card' },
    el('h2', {}, title), el('p', { class: 'muted' }, text), el('span', { class: 'go' }, 'Open →')));
}

const style = document.createElement('style');
style.textContent = `a.card { color: inherit; text-decoration: none; display: block; transition: border-color .15s; }
a.card:hover { border-color: var(--accent); } a.card p { margin: 0 0 8px; } a.card .go { color: var(--accent); font-weight: 600; }`;
document.head.append(style);

const gpu = (navigator as Navigator & { gpu?: unknown }).gpu;
if (!gpu) {
  banner('error', 'This browser does not expose WebGPU (navigator.gpu is undefined).',
    'The demos need it: use a recent Chrome or Edge (113+), Safari 26+ or Firefox 141+. Each demo page will say so too.');
}
window.__demo = { page: 'index', status: 'done', result: { webgpu: !!gpu } };
