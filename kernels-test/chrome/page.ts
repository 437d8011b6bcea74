// The kernel suite in a browser page: the same case tables as the Node run, reported back to the
// puppeteer driver (run.mjs) through window.__report.
import * as sg from '../../src/index.js';
import { runTables, type CaseResult } from '../harness.js';
import { tables } from '../cases/index.js';

declare global {
  interface Window {
    __progress: CaseResult[];
    __report?: { results: CaseResult[]; passed: number; failed: number; total: number; adapter?: string; error?: string };
  }
}

const log = document.getElementById('log')!;
window.__progress = [];

async function main(): Promise<void> {
  const total = Object.values(tables).reduce((n, t) => n + t.length, 0);
  let info: sg.DeviceInfo;
  try {
    info = await sg.init({ poison: true });
  } catch (e) {
    window.__report = { results: [], passed: 0, failed: 0, total, error: String((e as Error).message ?? e) };
    return;
  }
  const adapter = `${info.vendor} ${info.architecture} ${info.description}`.trim();
  log.textContent += `adapter: ${adapter}\n`;
  const report = await runTables(tables, (table, r) => {
    window.__progress.push(r);
    log.textContent += `${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.ok ? '' : `: ${r.message}`}\n`;
  });
  sg.dispose();
  window.__report = { ...report, total, adapter };
}

main().catch((e) => {
  window.__report = { results: [], passed: 0, failed: 0, total: 0, error: String((e as Error).stack ?? e) };
});
