// The bench page: bench/harness.ts (check, then time), bench/rows.ts (the matmul rows) and
// bench/peers.ts (TensorFlow.js WebGPU and jax-js, loaded in this page on the same adapter), the same
// code `npm run bench` runs in Node. A page has navigator.gpu, so no shareNodeGpu() here.
import * as sg from 'shadergrad';
import { formatResults, measure, type Measured, type Row } from '../../bench/harness.js';
import { loadPeers } from '../../bench/peers.js';
import { matmulRow } from '../../bench/rows.js';
import { $, el, fmt, query, start, testMode } from '../shared/ui.js';
import { fitCanvas } from '../shared/chart.js';

const VERSIONS: sg.MatmulVersion[] = ['naive', 'tiled', 'vec4'];

function check(label: string, on: boolean): { root: HTMLElement; input: HTMLInputElement } {
  const input = el('input', { type: 'checkbox' });
  input.checked = on;
  return { root: el('label', { style: 'display:flex; gap:5px; align-items:center' }, input, label), input };
}

function resultsTable(results: Measured[], rows: Row[]): HTMLElement {
  const t = el('table', { class: 'data', id: 'results-table' });
  t.append(el('thead', {}, el('tr', {}, ...['row', 'implementation', 'median ms', 'min–max ms', 'GPU ms', 'GFLOP/s', 'GB/s', 'vs tfjs', 'vs jax-js'].map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const row of rows) {
    const rs = results.filter((r) => r.row === row.name && r.group === row.group);
    const best = (lib: string) => rs.filter((r) => r.lib === lib && r.ok).sort((a, b) => a.medianMs - b.medianMs)[0];
    const tf = best('tfjs');
    const jx = best('jax');
    for (const r of rs) {
      const ratio = (p?: Measured) => (p && r.ok && r.lib === 'shadergrad' ? `${(p.medianMs / r.medianMs).toFixed(2)}×` : '');
      body.append(el('tr', {},
        el('td', {}, row.name), el('td', {}, r.impl),
        ...(r.ok
          ? [el('td', { class: 'num' }, r.medianMs.toFixed(3)), el('td', { class: 'num' }, `${r.minMs.toFixed(2)}–${r.maxMs.toFixed(2)}`),
            el('td', { class: 'num' }, r.gpuMs === undefined ? '' : r.gpuMs.toFixed(3)), el('td', { class: 'num' }, r.gflops.toFixed(2)),
            el('td', { class: 'num' }, r.gbps.toFixed(2)), el('td', { class: 'num' }, ratio(tf)), el('td', { class: 'num' }, ratio(jx))]
          : [el('td', { colspan: 7, style: 'color: var(--bad)' }, `FAILED: ${r.error ?? ''}`)])));
    }
  }
  t.append(body);
  return t;
}

/** Horizontal bars of GFLOP/s per implementation, grouped by row. */
function chart(canvas: HTMLCanvasElement, results: Measured[]): void {
  const ok = results.filter((r) => r.ok);
  const { ctx, w } = fitCanvas(canvas);
  if (!ok.length) return;
  const colors: Record<string, string> = { shadergrad: '#2f6fdb', tfjs: '#e8892a', jax: '#1f9d55' };
  const max = Math.max(...ok.map((r) => r.gflops));
  const barH = Math.min(18, (canvas.clientHeight - 20) / ok.length - 3);
  ctx.font = '11px system-ui, sans-serif';
  ctx.textBaseline = 'middle';
  ok.forEach((r, i) => {
    const y = 10 + i * (barH + 3);
    const label = `${r.row} · ${r.impl}`;
    ctx.fillStyle = '#3b4452';
    ctx.textAlign = 'right';
    ctx.fillText(label, 230, y + barH / 2);
    const bw = ((w - 320) * r.gflops) / max;
    ctx.fillStyle = colors[r.lib] ?? '#888';
    ctx.fillRect(238, y, Math.max(1, bw), barH);
    ctx.textAlign = 'left';
    ctx.fillStyle = '#3b4452';
    ctx.fillText(`${fmt(r.gflops)} GFLOP/s`, 242 + bw, y + barH / 2);
  });
}

start('bench', async (info) => {
  const sizes = el('input', { type: 'text', value: query.get('sizes') ?? (testMode ? '64' : info.software ? '64,128' : '256,512,1024'), style: 'width: 140px' });
  const reps = el('input', { type: 'number', value: query.get('reps') ?? (testMode ? '3' : '7'), min: 2, max: 100, style: 'width: 70px' });
  const versions = VERSIONS.map((v) => [v, check(v, true)] as const);
  const peersWanted = (query.get('peers') ?? 'tfjs,jax').split(',');
  const tfjs = check('TensorFlow.js (WebGPU)', peersWanted.includes('tfjs'));
  const jax = check('jax-js', peersWanted.includes('jax'));
  const run = el('button', { class: 'primary', id: 'run' }, 'Run');
  $('setup').append(el('div', { class: 'controls' },
    el('label', { class: 'field' }, el('span', {}, 'matmul sizes n (n×n×n)'), sizes),
    el('label', { class: 'field' }, el('span', {}, 'timed repetitions'), reps),
    el('div', { class: 'field' }, el('span', {}, 'shadergrad versions'), el('div', { style: 'display:flex; gap: 12px' }, ...versions.map(([, c]) => c.root))),
    el('div', { class: 'field' }, el('span', {}, 'peers'), el('div', { style: 'display:flex; gap: 12px' }, tfjs.root, jax.root)),
    run));
  const logEl = $('log');
  const log = (l: string) => {
    logEl.textContent += `${l}\n`;
    logEl.scrollTop = logEl.scrollHeight;
  };
  log(`adapter: ${info.vendor} ${info.architecture} ${info.description}${info.software ? ' (software)' : ''} · features: ${info.features.join(', ') || 'none'}`);

  const go = async () => {
    run.disabled = true;
    try {
      const ns = sizes.value.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
      const vs = versions.filter(([, c]) => c.input.checked).map(([v]) => v);
      const only = [tfjs.input.checked ? 'tfjs' : '', jax.input.checked ? 'jax' : ''].filter(Boolean);
      log(`loading peers: ${only.join(', ') || 'none'}`);
      const peers = only.length ? await loadPeers(only) : { notes: [] };
      for (const n of peers.notes) log(`note: ${n}`);
      const rows = ns.map((n) => matmulRow(peers, n, vs));
      $('results-note').textContent = 'running…';
      const results = await measure(rows, { warmup: 2, reps: Math.max(2, Number(reps.value)), budgetMs: testMode ? 3000 : 20_000, log });
      log(`\n${formatResults(results, rows)}`);
      $('results').replaceChildren(resultsTable(results, rows));
      chart($('chart') as HTMLCanvasElement, results);
      $('results-note').textContent = `${results.length} measurements on ${info.vendor} ${info.description}`.trim();
      window.__demo.result = { results, rows: rows.length, peers: only, notes: peers.notes };
    } finally {
      run.disabled = false;
    }
  };
  run.addEventListener('click', () => void go().catch((e) => log(`error: ${(e as Error).message}`)));
  if (testMode || query.has('autorun')) await go();
});
