// The layer stack of src/ (scripts/import-graph.mjs: util → reference → gpu → memory → runtime →
// tensor → ops → graph → nn, optim → io, data, metrics → train → the public API → cli): no import
// cycle, type imports included, and no file imports one of a higher layer.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('architecture', () => {
  it('src/ has no import cycle and no upward import', () => {
    const r = spawnSync(process.execPath, ['scripts/import-graph.mjs', 'src', '--layers'], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/no import cycle \(imports among \d+ files under src\)/);
    expect(r.stdout).toMatch(/no upward import/);
    expect(r.status).toBe(0);
  });
});
