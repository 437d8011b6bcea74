// sg.search: grid and random hyper-parameter search over short trials. Every trial is recorded
// (config, seed, metrics, seconds) as one JSON line, so a search can be audited or resumed.

import { Random } from '../util/random.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const SEARCH_KEYS = keysOf<SearchOptions>({ space: 1, mode: 1, trials: 1, seed: 1, trial: 1, objective: 1, direction: 1, record: 1, onTrial: 1 });

export type Space = Record<string, readonly (number | string | boolean)[]>;
export type Config = Record<string, number | string | boolean>;
export type Metrics = Record<string, number>;

export interface SearchOptions {
  space: Space;
  mode?: 'grid' | 'random';
  /** Random search: number of trials (grid search runs every combination, or the first `trials`). */
  trials?: number;
  seed?: number;
  /** Run one trial; `seed` is derived from the search seed and the trial number. */
  trial: (config: Config, seed: number) => Promise<Metrics>;
  /** Metric to rank by, and whether larger is better. */
  objective: string;
  direction?: 'min' | 'max';
  /** Append each trial as a JSON line to this file (Node) … */
  record?: string;
  /** … and/or hand it to this callback. */
  onTrial?: (r: TrialRecord) => void;
}

export interface TrialRecord {
  trial: number;
  config: Config;
  seed: number;
  metrics: Metrics;
  seconds: number;
  error?: string;
}

export interface SearchResult {
  trials: TrialRecord[];
  best?: TrialRecord;
  table: string;
}

/** Every combination of the space, in order (the last key varies fastest). */
export function gridConfigs(space: Space): Config[] {
  const keys = Object.keys(space);
  for (const k of keys) {
    if (!Array.isArray(space[k]) || space[k].length === 0) throw sgError(`search: '${k}' needs a non-empty list of values`);
  }
  let out: Config[] = [{}];
  for (const k of keys) out = out.flatMap((c) => space[k].map((v) => ({ ...c, [k]: v })));
  return out;
}

/** `n` configurations drawn independently and uniformly from the space (seeded). */
export function randomConfigs(space: Space, n: number, seed: number): Config[] {
  const r = new Random(seed);
  gridConfigs(space); // validates
  return Array.from({ length: n }, () => Object.fromEntries(Object.entries(space).map(([k, vs]) => [k, vs[r.int(vs.length)]])));
}

export async function run(opts: SearchOptions): Promise<SearchResult> {
  checkOptions('search.run', opts, SEARCH_KEYS);
  const seed = opts.seed ?? 0;
  const mode = opts.mode ?? 'random';
  let configs = mode === 'grid' ? gridConfigs(opts.space) : randomConfigs(opts.space, opts.trials ?? 10, seed);
  if (mode === 'grid' && opts.trials !== undefined) configs = configs.slice(0, opts.trials);
  const dir = opts.direction ?? 'max';
  const trials: TrialRecord[] = [];
  const append = opts.record ? await lineWriter(opts.record) : undefined;
  for (let i = 0; i < configs.length; i++) {
    const trialSeed = (seed * 7919 + i * 104729 + 1) >>> 0;
    const t0 = performance.now();
    let rec: TrialRecord;
    try {
      const metrics = await opts.trial(configs[i], trialSeed);
      rec = { trial: i, config: configs[i], seed: trialSeed, metrics, seconds: (performance.now() - t0) / 1000 };
    } catch (e) {
      rec = { trial: i, config: configs[i], seed: trialSeed, metrics: {}, seconds: (performance.now() - t0) / 1000, error: (e as Error).message };
    }
    trials.push(rec);
    append?.(JSON.stringify(rec));
    opts.onTrial?.(rec);
  }
  const score = (t: TrialRecord) => {
    const v = t.metrics[opts.objective];
    return v === undefined || !Number.isFinite(v) ? (dir === 'max' ? -Infinity : Infinity) : v;
  };
  const ranked = [...trials].filter((t) => !t.error).sort((a, b) => (dir === 'max' ? score(b) - score(a) : score(a) - score(b)));
  return { trials, best: ranked[0], table: resultsTable(ranked.concat(trials.filter((t) => t.error)), Object.keys(opts.space)) };
}

function resultsTable(trials: TrialRecord[], keys: string[]): string {
  const metricKeys = [...new Set(trials.flatMap((t) => Object.keys(t.metrics)))];
  const head = ['rank', 'trial', ...keys, ...metricKeys, 'seconds'];
  const rows = trials.map((t, i) => [t.error ? '-' : String(i + 1), String(t.trial), ...keys.map((k) => String(t.config[k])),
    ...metricKeys.map((k) => (t.metrics[k] === undefined ? '' : t.metrics[k].toFixed(4))), t.error ? `failed: ${t.error}` : t.seconds.toFixed(1)]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, w.map((x) => '-'.repeat(x)), ...rows].map((r, ri) => (ri === 1 ? (r as string[]).join('  ') : (r as string[]).map((c, i) => c.padEnd(w[i])).join('  '))).join('\n');
}

async function lineWriter(path: string): Promise<(line: string) => void> {
  const fsName = 'node:fs';
  const fs = await import(/* @vite-ignore */ fsName);
  const pathName = 'node:path';
  const { dirname } = await import(/* @vite-ignore */ pathName);
  fs.mkdirSync(dirname(path), { recursive: true });
  return (line: string) => fs.appendFileSync(path, `${line}\n`);
}
