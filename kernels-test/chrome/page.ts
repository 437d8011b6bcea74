// The kernel suite in a browser page: the same case tables as the Node run, reported back to the
// puppeteer driver (run.mjs) through window.__report.
import * as sg from '../../src/index.js';
import { runTables, type Case, type CaseResult } from '../harness.js';
import { tables } from '../cases/index.js';

declare global {
  interface Window {
    __progress: CaseResult[];
    __report?: { results: CaseResult[]; passed: number; failed: number; notRun?: number; total: number; adapter?: string; error?: string };
  }
}

const log = document.getElementById('log')!;
window.__progress = [];

// ?tables=a,b runs only those tables (run.mjs passes its arguments); none: every table.
function chooseTables(): Record<string, Case[]> {
  const only = new URLSearchParams(location.search).get('tables')?.split(',').filter(Boolean);
  if (!only) return tables;
  return Object.fromEntries(only.map((name) => {
    if (!(name in tables)) throw new Error(`no case table '${name}'; the tables are ${Object.keys(tables).join(', ')}`);
    return [name, tables[name as keyof typeof tables]];
  }));
}

async function main(): Promise<void> {
  const chosen = chooseTables();
  const total = Object.values(chosen).reduce((n, t) => n + t.length, 0);
  let info: sg.DeviceInfo;
  try {
    info = await sg.init({ poison: true });
  } catch (e) {
    window.__report = { results: [], passed: 0, failed: 0, total, error: String((e as Error).message ?? e) };
    return;
  }
  const adapter = `${info.vendor} ${info.architecture} ${info.description}`.trim();
  log.textContent += `adapter: ${adapter}\n`;
  const report = await runTables(chosen, (table, r) => {
    window.__progress.push(r);
    log.textContent += `${r.notRun ? '--  ' : r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.notRun ? `: ${r.notRun}` : r.ok ? '' : `: ${r.message}`}\n`;
  });
  sg.dispose();
  window.__report = { ...report, total, adapter };
}

main().catch((e) => {
  window.__report = { results: [], passed: 0, failed: 0, total: 0, error: String((e as Error).stack ?? e) };
});
