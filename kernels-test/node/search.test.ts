// sg.search: grid and random search run every trial, record each as a JSON line and rank them.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../../src/index.js';

describe('search', () => {
  it('grid search runs every combination, records JSON lines, ranks by the objective', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-search-'));
    const record = join(dir, 'trials.jsonl');
    const r = await sg.search.run({
      mode: 'grid', space: { lr: [0.1, 0.01], width: [4, 8, 16] }, record,
      trial: async (c) => ({ score: Number(c.width) - 100 * Number(c.lr) }), objective: 'score', direction: 'max',
    });
    expect(r.trials.length).toBe(6);
    expect(r.best?.config).toEqual({ lr: 0.01, width: 16 });
    const lines = readFileSync(record, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBe(6);
    expect(lines[0]).toMatchObject({ trial: 0, config: { lr: 0.1, width: 4 }, metrics: { score: -6 } });
    expect(typeof lines[0].seed).toBe('number');
    expect(r.table.split('\n')[2]).toMatch(/^1 /);
  });

  it('random search is seeded, and a failing trial is recorded, not fatal', async () => {
    const space = { a: [1, 2, 3, 4, 5], b: ['x', 'y'] };
    const run = () => sg.search.run({
      mode: 'random', trials: 5, seed: 9, space, objective: 'v', direction: 'min',
      trial: async (c) => {
        if (c.a === 5) throw new Error('diverged');
        return { v: Number(c.a) };
      },
    });
    const a = await run();
    const b = await run();
    expect(a.trials.map((t) => t.config)).toEqual(b.trials.map((t) => t.config));
    const failed = a.trials.filter((t) => t.error);
    for (const f of failed) expect(f.error).toBe('diverged');
    expect(a.best && a.best.error).toBeUndefined();
    expect(() => sg.search.gridConfigs({ a: [] })).toThrow(/non-empty list/);
  });
});
