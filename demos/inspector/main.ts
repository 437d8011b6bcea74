// The step inspector: compile one training step, run it once, profile it, and show plan.explain()
// as a timeline, a table, a per-dispatch detail view (WGSL, CPU reference, sizes, buffers) and the
// memory plan's slot reuse.
import * as sg from 'shadergrad';
import { referenceFunctions } from 'virtual:sg-reference';
import { $, el, fail, fmt, query, select, start, testMode } from '../shared/ui.js';
import { functionLines, renderCode } from '../shared/highlight.js';

type ModelName = 'mlp' | 'cnn' | 'transformer';

const PALETTE = ['#2f6fdb', '#e8892a', '#1f9d55', '#8f3fb5', '#d64545', '#0f7a8a', '#b35309', '#5b6fd6', '#c2417a', '#6b8e23', '#7a5c3e', '#3b9ab2'];

interface Built {
  plan: sg.Plan;
  inputs: [Float32Array | Int32Array, Int32Array];
  description: string;
}

/** Seeded values in [-1, 1) (a tiny LCG: the inputs only need to be fixed, not good random numbers). */
function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/**
 * Kernel choice (README, "Kernel choice: autotune"): the versions this adapter's tuning cache holds
 * (localStorage), the fixed rules elsewhere; ?tune=1 measures them first (a few seconds on SwiftShader).
 */
const kernelChoice = query.get('tune') === '1' ? { tune: true as const, tuneBudgetMs: 20_000 } : { tune: 'cached' as const };

/** The GPT step: sg.models.gpt at a tiny size (one causal pre-norm block), next-token cross-entropy, AdamW. */
async function buildTransformer(fuse: boolean, batch: number): Promise<Built> {
  const [T, V] = [8, 16];
  const model = await sg.models.gpt({ vocab: V, blockSize: T, layers: 1, heads: 2, dim: 16, dropout: 0.1, seed: 3 });
  const opt = sg.optim.adamW(model.parameters(), { lr: 1e-3 });
  const plan = await sg.compile((x, y) => ({ loss: model.loss(x, y) }), {
    inputs: [{ shape: [batch, T], dtype: 'i32', name: 'tokens' }, { shape: [batch, T], dtype: 'i32', name: 'next tokens' }],
    params: opt.params, optimizer: opt, fuse, label: 'GPT training step', ...kernelChoice,
  });
  const tokens = Int32Array.from({ length: batch * T }, (_, i) => (i * 5 + 1) % V);
  return {
    plan, inputs: [tokens, Int32Array.from(tokens, (t) => (t + 1) % V)],
    description: `sg.models.gpt: embedding · positions · 1 causal pre-norm block (2 heads, dim 16) · tied head to ${V} tokens · T ${T} · batch ${batch} · next-token cross-entropy · ${opt.name}`,
  };
}

async function build(name: ModelName, fuse: boolean, batch: number): Promise<Built> {
  sg.manualSeed(3);
  if (name === 'transformer') return buildTransformer(fuse, batch);
  const nn = sg.nn;
  const classes = 4;
  const model = name === 'mlp'
    ? nn.sequential(nn.linear(16, 32), nn.relu(), nn.linear(32, classes))
    : nn.sequential(nn.conv2d(1, 4, 3, { padding: 1 }), nn.relu(), nn.maxPool2d(2), nn.flatten(), nn.linear(4 * 4 * 4, classes));
  const xShape = name === 'mlp' ? [batch, 16] : [batch, 1, 8, 8];
  const opt = name === 'mlp' ? sg.optim.adam(model.parameters(), { lr: 1e-3 }) : sg.optim.sgd(model.parameters(), { lr: 0.05, momentum: 0.9 });
  const plan = await sg.compile((x, y) => ({ loss: sg.crossEntropy(model.forward(x), y) }), {
    inputs: [{ shape: xShape, name: 'x' }, { shape: [batch], dtype: 'i32', name: 'labels' }],
    params: opt.params, optimizer: opt, fuse, label: `${name} training step`, ...kernelChoice,
  });
  const size = xShape.reduce((a, b) => a * b, 1);
  const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7 + 3) % classes);
  return {
    plan, inputs: [seeded(size, 5), labels],
    description: `${model.toString().replace(/\n\s*/g, ' ')} · batch ${batch} · cross-entropy · ${opt.name}`,
  };
}

/** The CPU reference behind an op: the reference functions its `reference` calls, with file and line. */
function referenceOf(op: string): { code: string; functions: typeof referenceFunctions } | undefined {
  // Fused elementwise chains are named fused(a·b·…) in explain(); their op is 'fusedElementwise'.
  const def = sg.kernels.opTable().get(op.startsWith('fused(') ? 'fusedElementwise' : op);
  if (!def) return undefined;
  const code = def.reference.toString();
  const functions = referenceFunctions.filter((f) => new RegExp(`\\b${f.name}(\\$\\d+)?\\s*\\(`).test(code));
  return { code, functions };
}

const wgslFile = (file: string) => file.replace(/^shaders\//, '');

// sg.kernels.wgslSource gives a kernel with its `// #include "common/..."` lines expanded (scripts/embed-shaders.mjs)
// between marker comments: `// >>>> #include "<path>": begin of ...` and `// <<<< #include "<path>": end of ...`.
const BEGIN_INCLUDE = /^\/\/ >>>> #include "([^"]+)"/;
const END_INCLUDE = /^\/\/ <<<< #include "([^"]+)"/;

/** The helper files expanded into a kernel's WGSL, in order. */
function includedFiles(src: string): string[] {
  return src.split('\n').flatMap((l) => BEGIN_INCLUDE.exec(l)?.[1] ?? []);
}

/** Shades the lines of the rendered WGSL that come from an included file, and its marker lines. */
function shadeIncludes(code: HTMLElement, src: string): void {
  let depth = 0;
  src.split('\n').forEach((line, i) => {
    const ln = code.children[i] as HTMLElement | undefined;
    const begin = BEGIN_INCLUDE.test(line);
    const end = END_INCLUDE.test(line);
    if (begin) depth++;
    if (ln && (depth > 0 || end)) ln.classList.add(begin || end ? 'include-marker' : 'included');
    if (end) depth--;
  });
}

function colorFor(file: string, files: string[]): string {
  if (!file) return '#aab3bf';
  return PALETTE[files.indexOf(file) % PALETTE.length];
}

function kv(pairs: [string, string | Node][]): HTMLElement {
  const dl = el('dl', { class: 'kv' });
  for (const [k, v] of pairs) dl.append(el('dt', {}, k), el('dd', {}, v));
  return dl;
}

function showDetail(row: sg.ExplainRow, timing: string): void {
  const d = $('detail');
  d.replaceChildren();
  const threads = row.grid[0] * row.grid[1] * row.grid[2] * row.workgroupSize[0] * row.workgroupSize[1] * row.workgroupSize[2];
  const rate = row.ms ? ` · ${fmt(row.flops / (row.ms * 1e6))} GFLOP/s · ${fmt(row.bytes / (row.ms * 1e6))} GB/s` : '';
  d.append(el('h2', {}, `#${row.index} ${row.op}`, el('small', {}, `  → ${row.kernel || 'copyBufferToBuffer'}`)));
  d.append(kv([
    ['op (graph node)', row.nodeId ? `${row.op} #${row.nodeId}` : row.op],
    ['kernel', row.kernel ? `${row.file} : ${row.entry}` : 'copyBufferToBuffer'],
    // compile(..., { tune: 'cached' }): the version this adapter's tuning cache chose (else the fixed rule's).
    ['version', row.tuned ?? 'one kernel, nothing to choose'],
    ['grid', `${row.grid.join(' × ')} workgroups`],
    ['workgroup size', `${row.workgroupSize.join(' × ')} threads (${fmt(threads)} in all)`],
    ['inputs', row.inputs.join('  ') || '–'],
    ['outputs', row.outputs.join('  ') || '–'],
    ['reads', row.reads.join(', ') || '–'],
    ['writes', row.writes.join(', ') || '–'],
    ['FLOPs', fmt(row.flops)],
    ['bytes moved', fmt(row.bytes)],
    ['time', row.ms === undefined ? 'not profiled' : `${row.ms.toFixed(4)} ms (${timing})${rate}`],
  ]));
  if (row.kernel && row.file && !row.file.endsWith('.wgsl')) {
    d.append(el('h2', {}, 'No kernel'));
    d.append(el('p', { class: 'muted' }, `${row.kernel}: a buffer-to-buffer copy recorded in the ${row.file} after the ` +
      'compute pass (the DMA engine moves the bytes; no WGSL runs).'));
  } else if (row.kernel && row.file) {
    let src = '';
    try {
      src = sg.kernels.wgslSource(wgslFile(row.file));
    } catch (e) {
      src = `// ${(e as Error).message}`;
    }
    const lines = functionLines(src, row.entry);
    const includes = includedFiles(src);
    d.append(el('h2', {}, `WGSL `, el('small', {}, `${row.file}${lines ? `, lines ${lines.from}–${lines.to}` : ''} (entry point highlighted)`)));
    if (includes.length) {
      d.append(el('p', { class: 'muted', style: 'margin: 0 0 6px' },
        `The kernel as the GPU compiles it: each // #include line is replaced by the shared helper file from shaders/ ` +
        `(shaded, between its >>>> begin and <<<< end lines): ${includes.join(', ')}. Line numbers are those of this expanded text.`));
    }
    const code = el('div', { class: 'code', id: 'wgsl' });
    d.append(code);
    renderCode(code, src, lines);
    shadeIncludes(code, src);
  }
  const ref = referenceOf(row.op);
  d.append(el('h2', { style: 'margin-top: 14px' }, 'CPU reference ', el('small', {}, 'float64, what the kernel tests compare this op against')));
  if (!ref) {
    d.append(el('p', { class: 'muted' }, row.nodeId
      ? `'${row.op}' is not in sg.kernels.opTable().`
      : 'Not an op of the graph: a copy the plan adds itself (the unary kernel specialised to a copy), moving a gradient into the gradient arena or the optimizer\'s results into the parameter and state arenas. Nothing to compare against a reference.'));
    return;
  }
  const wrap = el('div', { class: 'code', style: 'max-height: 120px' });
  renderCode(wrap, ref.code, undefined, 'typescript');
  d.append(el('p', { class: 'muted', style: 'margin: 0 0 4px' }, `sg.kernels.opTable().get('${row.op}').reference:`), wrap);
  for (const f of ref.functions) {
    const c = el('div', { class: 'code', style: 'max-height: 360px; margin-top: 6px' });
    renderCode(c, f.source, undefined, 'typescript');
    d.append(el('p', { style: 'margin: 10px 0 4px' }, el('code', { class: 'ref-location' }, `${f.file}:${f.line}`), ` — ${f.name}`), c);
  }
  if (!ref.functions.length) d.append(el('p', { class: 'muted' }, 'The reference is defined next to the op (no function of src/reference/ is called).'));
}

function slotTable(rows: sg.ExplainRow[], onPick: (i: number) => void): HTMLElement {
  const slotNames = [...new Set(rows.flatMap((r) => [...r.reads, ...r.writes]).filter((s) => /^s\d+$/.test(s)))]
    .sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const table = el('table', { class: 'slots' });
  const head = el('tr', {}, el('th', { class: 'slot' }, 'slot \\ dispatch'), ...rows.map((r) => el('th', {}, r.index % 5 === 0 ? String(r.index) : '')));
  table.append(head);
  for (const s of slotNames) {
    const tr = el('tr', {}, el('th', { class: 'slot' }, s));
    const writes = rows.map((r) => r.writes.includes(s));
    const reads = rows.map((r) => r.reads.includes(s));
    // Between a write and the last read before the next write, the value is live.
    let live = false;
    rows.forEach((r, i) => {
      const w = writes[i];
      const rd = reads[i];
      if (w) live = true;
      const laterRead = reads.slice(i + 1).findIndex((x) => x);
      const nextWrite = writes.slice(i + 1).findIndex((x) => x);
      const stillLive = laterRead >= 0 && (nextWrite < 0 || laterRead < nextWrite);
      const td = el('td', { class: w ? 'w' : rd ? 'r' : live ? 'live' : '', title: `${s} · #${r.index} ${r.op}${w ? ' writes' : rd ? ' reads' : ''}` }, w ? '■' : rd ? '□' : '');
      td.addEventListener('click', () => onPick(i));
      td.dataset.col = String(i);
      tr.append(td);
      live = (live || w) && stillLive;
    });
    table.append(tr);
  }
  return table;
}

start('inspector', async (info) => {
  const setup = $('setup');
  const modelSel = select('model', [['mlp', 'MLP 16→32→4, Adam'], ['cnn', 'CNN conv4·pool·linear, SGD momentum'], ['transformer', 'GPT (sg.models.gpt, one causal block), AdamW']], query.get('model') ?? 'mlp');
  const fuseSel = select('elementwise fusion', [['on', 'on'], ['off', 'off']], 'on');
  const batchSel = select('batch', [['8', '8'], ['32', '32'], ['128', '128']], '8');
  const go = el('button', { class: 'primary', id: 'compile' }, 'Compile and profile');
  const summary = el('div', { class: 'muted', style: 'margin-top: 8px' });
  setup.append(el('div', { class: 'controls' }, modelSel.root, batchSel.root, fuseSel.root, go), summary);

  let plan: sg.Plan | undefined;
  let profiled = 0; // how many times a plan was compiled and profiled (the test waits on it)
  const inspect = async () => {
    plan?.dispose();
    go.disabled = true;
    summary.textContent = 'compiling…';
    try {
      const b = await build(modelSel.input.value as ModelName, fuseSel.input.value === 'on', Number(batchSel.input.value));
      plan = b.plan;
      plan.run(...b.inputs);
      const [rec] = await plan.drain();
      const report = await plan.profile(testMode ? 2 : 5);
      const rows = plan.explain();
      const m = plan.memory;
      summary.textContent = `${b.description} — ${rows.length} dispatches, loss after one step ${rec.values.loss[0].toFixed(4)}, ` +
        `GPU time ${report.totalMs.toFixed(3)} ms (${report.source}${info.software ? ', software adapter' : ''}) · memory plan: ${m.slots} slots, ` +
        `${fmt(m.plannedBytes)}B for intermediates instead of ${fmt(m.naiveBytes)}B without reuse, ${fmt(m.fixedBytes)}B fixed`;
      profiled++;
      const tuning = await sg.tuning.report();
      window.__demo.result = { tuning: { cache: tuning.cache, measured: tuning.entries.filter((e) => e.source === 'measured').length,
        stored: Object.keys(JSON.parse(localStorage.getItem('shadergrad.tuning') ?? '{"adapters":{}}').adapters).length, rowsWithVersion: rows.filter((r) => r.tuned).length },
      dispatches: rows.length, kernels: [...new Set(rows.map((r) => r.kernel).filter(Boolean))], files: [...new Set(rows.map((r) => r.file).filter(Boolean))], source: report.source, slots: m.slots, model: modelSel.input.value, profiled };
      render(rows, report.source);
    } finally {
      go.disabled = false;
    }
  };

  const render = (rows: sg.ExplainRow[], timing: string) => {
    // Colours, legend, timeline and table are all rebuilt from this plan's rows: nothing of the previous model stays.
    const files = [...new Set(rows.map((r) => r.file).filter(Boolean))];
    const total = rows.reduce((a, r) => a + (r.ms ?? 0), 0) || 1;
    const timeline = $('timeline');
    timeline.replaceChildren();
    $('timeline-note').textContent = `${rows.length} dispatches, ${total.toFixed(3)} ms in all (${timing}); width ∝ time, colour = shader file`;
    const table = $('rows');
    table.replaceChildren(el('thead', {}, el('tr', {}, ...['#', 'op → kernel', 'grid × workgroup', 'reads → writes', 'FLOPs', 'bytes', 'ms'].map((h) => el('th', {}, h)))));
    const body = el('tbody');
    table.append(body);
    const pick = (i: number) => {
      body.querySelectorAll('tr.selected').forEach((t) => t.classList.remove('selected'));
      timeline.querySelectorAll('.selected').forEach((t) => t.classList.remove('selected'));
      body.children[i]?.classList.add('selected');
      timeline.children[i]?.classList.add('selected');
      $('slots').querySelectorAll('.sel').forEach((t) => t.classList.remove('sel'));
      $('slots').querySelectorAll(`td[data-col="${i}"]`).forEach((t) => t.classList.add('sel'));
      showDetail(rows[i], timing);
      window.__demo.result.selected = { index: i, op: rows[i].op, kernel: rows[i].kernel, wgslLines: document.querySelectorAll('#wgsl .ln').length, hit: document.querySelectorAll('#wgsl .ln.hit').length, reference: Array.from(document.querySelectorAll('.ref-location'), (e) => e.textContent) };
    };
    // Flex-grow in thousandths of the step (a sum of grows under 1 would leave the bar short of its box);
    // the tiniest dispatches keep a sliver so they can be clicked.
    const weights = rows.map((r) => Math.max(r.ms ?? 0, total * 0.004));
    const weightSum = weights.reduce((a, b) => a + b, 0);
    rows.forEach((r, i) => {
      const color = colorFor(r.file, files);
      const bar = el('div', { style: `flex: ${(1000 * weights[i]) / weightSum} 1 0; background: ${color}`, title: `#${r.index} ${r.op} → ${r.kernel || 'copy'} · ${(r.ms ?? 0).toFixed(4)} ms`, 'data-file': r.file });
      bar.addEventListener('click', () => pick(i));
      timeline.append(bar);
      // Long names break at their underscores (<wbr>), grids and slot lists at their separators, so the table fits its panel.
      const breakable = (s: string, at: RegExp) => s.split(at).flatMap((part, k) => (k ? [el('wbr'), part] : [part]));
      const tr = el('tr', { 'data-op': r.op, 'data-kernel': r.kernel || '(copy)', 'data-file': r.file },
        el('td', { class: 'num' }, String(r.index)),
        el('td', {}, el('i', { class: 'swatch', style: `background:${color}` }), ...breakable(r.op, /(?<=_)/),
          el('div', { class: 'mono kernel', title: r.tuned ?? '' }, ...breakable(r.kernel || '(copy)', /(?<=_)/))),
        el('td', { class: 'mono' }, r.grid.join('×'), el('wbr'), ` × ${r.workgroupSize.join('×')}`),
        el('td', { class: 'mono' }, ...breakable(`${r.reads.join(',')} → ${r.writes.join(',')}`, /(?<=,)/)),
        el('td', { class: 'num' }, fmt(r.flops)),
        el('td', { class: 'num' }, fmt(r.bytes)),
        el('td', { class: 'num' }, r.ms === undefined ? '' : r.ms.toFixed(3)));
      tr.addEventListener('click', () => pick(i));
      body.append(tr);
    });
    $('legend').replaceChildren(...files.map((f) => el('span', { 'data-file': f }, el('i', { style: `background:${colorFor(f, files)}` }), f)));
    $('slots').replaceChildren(slotTable(rows, pick));
    // Start on the first matmul-like dispatch: the most interesting kernel to read.
    const first = Math.max(0, rows.findIndex((r) => /matmul|linear/.test(r.kernel)));
    pick(first);
  };

  go.addEventListener('click', () => inspect().catch(fail));
  await inspect();
});
