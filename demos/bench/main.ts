// The bench page: bench/harness.ts (check, then time), bench/rows.ts + bench/rows-ops.ts (the rows:
// matmul, conv2d, normalisation, the optimizer update, training steps) and bench/peers.ts
// (TensorFlow.js WebGPU and jax-js, loaded in this page on the same adapter), the same code
// `npm run bench` runs in Node. A page has navigator.gpu, so no shareNodeGpu() here.
import * as sg from 'shadergrad';
import { fmtRate, formatResults, measure, ratio, rowResults, type Measured, type Row } from '../../bench/harness.js';
import { loadPeers } from '../../bench/peers.js';
import { benchRows, GROUPS, type Scale } from '../../bench/rows-ops.js';
import { $, el, query, start, testMode } from '../shared/ui.js';
import { fitCanvas } from '../shared/chart.js';

const VERSIONS: sg.MatmulVersion[] = ['naive', 'tiled', 'vec4', 'reg'];
const GROUP_LABELS: Record<string, string> = {
  matmul: 'matmul', conv: 'conv2d fwd / bwd', norm: 'softmax, cross-entropy, layer / batch norm',
  attention: 'attention fwd + bwd (each rung)', optim: 'Adam update', train: 'training steps (MLP, CNN)',
  transformer: 'transformer training step (AdamW)',
};

function check(label: string, on: boolean, id?: string): { root: HTMLElement; input: HTMLInputElement } {
  const input = el('input', { type: 'checkbox', id });
  input.checked = on;
  return { root: el('label', { style: 'display:flex; gap:5px; align-items:center' }, input, label), input };
}

/** The figure a row is read by: GFLOP/s, GB/s (memory-bound rows) or samples/s (training steps). */
function metric(r: Measured, row: Row): [number, string] {
  if (row.unit === 'GB/s') return [r.gbps, 'GB/s'];
  if (row.samples) return [r.samplesPerSec ?? NaN, 'samples/s'];
  return [r.gflops, 'GFLOP/s'];
}

/** The results table and, under it, what a peer does differently or cannot do. */
function resultsTable(results: Measured[], rows: Row[]): HTMLElement {
  const t = el('table', { class: 'data', id: 'results-table' });
  t.append(el('thead', {}, el('tr', {}, ...['row', 'implementation', 'median ms', 'min–max ms', 'GPU ms', 'GFLOP/s', 'GB/s', 'samples/s', 'vs tfjs', 'vs jax-js'].map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const row of rows) {
    const { rs, best } = rowResults(results, row);
    const [tf, jx] = [best('tfjs'), best('jax')];
    for (const r of rs) {
      const num = (s: string) => el('td', { class: 'num' }, s);
      body.append(el('tr', { 'data-group': row.group },
        el('td', {}, row.name), el('td', {}, r.impl),
        ...(r.ok
          ? [num(r.medianMs.toFixed(3)), num(`${r.minMs.toFixed(2)}–${r.maxMs.toFixed(2)}`), num(r.gpuMs === undefined ? '' : r.gpuMs.toFixed(3)),
            num(fmtRate(r.gflops)), num(fmtRate(r.gbps)), num(fmtRate(r.samplesPerSec)), num(ratio(r, tf)), num(ratio(r, jx))]
          : [el('td', { colspan: 8, style: 'color: var(--bad)' }, `FAILED: ${r.error ?? ''}`)])));
    }
  }
  t.append(body);
  const notes = [...new Set(rows.flatMap((row) => (row.notes ?? []).map((n) => `${row.group}: ${n}`)))];
  return el('div', {}, t, notes.length ? el('ul', { class: 'muted', id: 'results-notes' }, ...notes.map((n) => el('li', {}, n))) : null);
}

/** Horizontal bars per implementation, grouped by row: length relative to the row's fastest, labelled with the row's figure. */
function chart(canvas: HTMLCanvasElement, results: Measured[], rows: Row[]): void {
  const bars = rows.flatMap((row) => {
    const ok = rowResults(results, row).rs.filter((r) => r.ok);
    const fastest = Math.min(...ok.map((r) => r.medianMs));
    return ok.map((r) => ({ r, row, rel: fastest / r.medianMs }));
  });
  canvas.style.height = `${Math.max(120, 20 + bars.length * 17)}px`;
  const { ctx, w } = fitCanvas(canvas);
  if (!bars.length) return;
  const colors: Record<string, string> = { shadergrad: '#2f6fdb', tfjs: '#e8892a', jax: '#1f9d55' };
  const barH = 14;
  const left = 330;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  bars.forEach(({ r, row, rel }, i) => {
    const y = 10 + i * (barH + 3);
    ctx.fillStyle = '#3b4452';
    ctx.textAlign = 'right';
    const label = `${row.name} · ${r.impl}`;
    ctx.fillText(label.length > 52 ? `${label.slice(0, 51)}…` : label, left - 8, y + barH / 2);
    const bw = (w - left - 110) * rel;
    ctx.fillStyle = colors[r.lib] ?? '#888';
    ctx.fillRect(left, y, Math.max(1, bw), barH);
    ctx.textAlign = 'left';
    ctx.fillStyle = '#3b4452';
    const [v, unit] = metric(r, row);
    ctx.fillText(`${fmtRate(v)} ${unit}`, left + 4 + bw, y + barH / 2);
  });
}

start('bench', async (info) => {
  const scale = (query.get('scale') ?? (testMode ? 'test' : info.software ? 'software' : 'hardware')) as Scale;
  const sizes = el('input', { type: 'text', value: query.get('sizes') ?? (testMode ? '64' : info.software ? '64,128' : '256,512,1024'), style: 'width: 140px' });
  const reps = el('input', { type: 'number', value: query.get('reps') ?? (testMode ? '3' : '7'), min: 2, max: 100, style: 'width: 70px' });
  const versions = VERSIONS.map((v) => [v, check(v, true)] as const);
  const groupsWanted = (query.get('groups') ?? GROUPS.join(',')).split(',');
  const groups = GROUPS.map((g) => [g, check(GROUP_LABELS[g], groupsWanted.includes(g), `group-${g}`)] as const);
  const peersWanted = (query.get('peers') ?? 'tfjs,jax').split(',');
  const tfjs = check('TensorFlow.js (WebGPU)', peersWanted.includes('tfjs'));
  const jax = check('jax-js', peersWanted.includes('jax'));
  const run = el('button', { class: 'primary', id: 'run' }, 'Run');
  const row = (...c: HTMLElement[]) => el('div', { style: 'display:flex; gap: 12px; flex-wrap: wrap' }, ...c);
  $('setup').append(el('div', { class: 'controls' },
    el('div', { class: 'field' }, el('span', {}, 'groups'), row(...groups.map(([, c]) => c.root))),
    el('label', { class: 'field' }, el('span', {}, 'matmul sizes n (n×n×n)'), sizes),
    el('div', { class: 'field' }, el('span', {}, 'shadergrad matmul versions'), row(...versions.map(([, c]) => c.root))),
    el('label', { class: 'field' }, el('span', {}, 'timed repetitions'), reps),
    el('div', { class: 'field' }, el('span', {}, 'peers'), row(tfjs.root, jax.root)),
    run));
  const logEl = $('log');
  const log = (l: string) => {
    logEl.textContent += `${l}\n`;
    logEl.scrollTop = logEl.scrollHeight;
  };
  log(`adapter: ${info.vendor} ${info.architecture} ${info.description}${info.software ? ' (software)' : ''} · features: ${info.features.join(', ') || 'none'} · shapes: ${scale}`);

  const go = async () => {
    run.disabled = true;
    try {
      const ns = sizes.value.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
      const vs = versions.filter(([, c]) => c.input.checked).map(([v]) => v);
      const gs = groups.filter(([, c]) => c.input.checked).map(([g]) => g);
      const only = [tfjs.input.checked ? 'tfjs' : '', jax.input.checked ? 'jax' : ''].filter(Boolean);
      log(`loading peers: ${only.join(', ') || 'none'}`);
      const peers = only.length ? await loadPeers(only) : { notes: [] };
      for (const n of peers.notes) log(`note: ${n}`);
      $('results-note').textContent = 'building rows (float64 references)…';
      const rows = await benchRows(peers, gs, scale, { sizes: ns, versions: () => vs });
      $('results-note').textContent = 'running…';
      const results = await measure(rows, { warmup: 2, reps: Math.max(2, Number(reps.value)), budgetMs: testMode ? 3000 : 20_000, log });
      log(`\n${formatResults(results, rows)}`);
      $('results').replaceChildren(resultsTable(results, rows));
      chart($('chart') as HTMLCanvasElement, results, rows);
      $('results-note').textContent = `${results.length} measurements on ${info.vendor} ${info.description} (${scale} shapes)`.trim();
      window.__demo.result = { results, rows: rows.length, groups: gs, scale, peers: only, notes: peers.notes };
    } finally {
      run.disabled = false;
    }
  };
  run.addEventListener('click', () => void go().catch((e) => log(`error: ${(e as Error).message}`)));
  if (testMode || query.has('autorun')) await go();
});
