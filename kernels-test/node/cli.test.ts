// The `shadergrad` command line (issue #12 items 8 and 11): strict flag parsing (help, version, unknown
// flags, missing values, bad numbers → exit 2 without a stack trace and without touching the run
// directory), refusing to overwrite a run, --resume continuing a run exactly, search printing each trial
// as it finishes, export --pytorch. main() runs in-process; two checks spawn the real entry point.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.js';

const ROOT = resolve(__dirname, '../..');
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const tmp = () => mkdtempSync(join(tmpdir(), 'sg-cli-'));

/** Run main(argv) in-process; returns the exit code and what it printed. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string; lines: string[] }> {
  const lines: string[] = [];
  const errs: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errs.push(a.join(' ')));
  try {
    const code = await main(argv);
    return { code, out: lines.join('\n'), err: errs.join('\n'), lines };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('help and version', () => {
  it('train --help / -h print the flags and exit 0 without training or creating a run directory (spawned, in an empty cwd)', () => {
    const cwd = tmp();
    for (const flag of ['--help', '-h']) {
      const r = spawnSync(TSX, [join(ROOT, 'src/cli/main.ts'), 'train', flag], { cwd, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/usage: shadergrad train \[flags\]/);
      expect(r.stdout).toMatch(/--epochs N\s+epochs to train/);
      expect(r.stdout).toMatch(/--resume DIR/);
    }
    expect(readdirSync(cwd)).toEqual([]); // no runs/
  });

  it('--version, the general help and help <command>', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await run('--version')).toMatchObject({ code: 0, out: `shadergrad ${pkg.version}` });
    const general = await run();
    expect(general.code).toBe(0);
    expect(general.out).toMatch(/commands:\n {2}train .*\n {2}explain .*\n {2}search .*\n {2}curve .*\n {2}evaluate .*\n {2}prune .*\n {2}export /);
    expect((await run('help', 'search')).out).toMatch(/usage: shadergrad search/);
    expect((await run('export', '--help')).out).toMatch(/--pytorch DIR/);
  });
});

describe('bad command lines exit with code 2 and a clear message', () => {
  const cases: [string[], RegExp][] = [
    [['train', '--epoch', '3'], /^shadergrad train: unknown flag --epoch \(did you mean --epochs\?\)/],
    [['train', '--lr'], /^shadergrad train: --lr needs a value \(a number > 0\)/],
    [['train', '--lr', '--epochs', '3'], /^shadergrad train: --lr needs a value/],
    [['train', '--lr', 'abc'], /^shadergrad train: --lr must be a number > 0, got 'abc'/],
    [['train', '--lr', '1e-3x'], /--lr must be a number > 0, got '1e-3x'/],
    [['train', '--epochs', '0'], /^shadergrad train: --epochs must be an integer ≥ 1, got '0'/],
    [['train', '--epochs', '2.5'], /--epochs must be an integer ≥ 1, got '2\.5'/],
    [['train', '--batch-size', ''], /--batch-size must be an integer ≥ 1, got ''/],
    [['train', '--optimizer', 'adamm'], /--optimizer must be one of adam, adamw, sgd, momentum, nesterov, rmsprop, adagrad, got 'adamm' \(did you mean adam\?\)/],
    [['train', 'mnist'], /unexpected argument 'mnist'/],
    [['explain', '--profile=yes'], /--profile takes no value/],
    [['trian'], /^shadergrad: unknown command 'trian' \(did you mean 'train'\?\)/],
    [['--epochs', '3'], /unknown flag --epochs before the command/],
    [['export'], /--pytorch DIR is required/],
    [['train', '--precision', 'half'], /--precision must be one of f32, mixed, got 'half'/],
    [['train', '--model', 'gpt', '--dataset', 'names', '--precision', 'mixed'], /--precision mixed trains the classification models \(cnn, mlp, vit\), not gpt/],
  ];
  for (const [argv, re] of cases) {
    it(argv.join(' ') || '(none)', async () => {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(re);
      expect(r.err).toMatch(/run 'shadergrad .*--help'/);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it('the real entry point exits 2 with the message only (spawned)', () => {
    const r = spawnSync(TSX, [join(ROOT, 'src/cli/main.ts'), 'train', '--lr'], { cwd: tmp(), encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^shadergrad train: --lr needs a value/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('run directories', () => {
  it('train refuses an --out that holds a run: exit 2, its metrics and checkpoint untouched', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'metrics.jsonl'), '{"epoch":1}\n');
    writeFileSync(join(dir, 'model.safetensors'), 'old');
    const r = await run('train', '--model', 'mlp', '--dataset', 'spiral', '--out', dir);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`train: ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} already holds a run \\(metrics\\.jsonl, model\\.safetensors\\); continue it with --resume`));
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe('{"epoch":1}\n');
    expect(readFileSync(join(dir, 'model.safetensors'), 'utf8')).toBe('old');
  });

  it('--resume refuses a missing run, other settings, and a finished run', async () => {
    const r = await run('train', '--resume', join(tmp(), 'nope'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--resume .*nope does not exist; nothing to resume/);
    expect((await run('train', '--resume', tmp())).err).toMatch(/has no config\.json: it was not written by shadergrad train/);
    expect((await run('train', '--resume', tmp(), '--lr', '0.1')).err).toMatch(/only --epochs \(a new total\) may be given with it, not --lr/);
  });

  const small = ['--model', 'mlp', '--dataset', 'spiral', '--count', '200', '--batch-size', '16'];
  const epochLosses = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l) as { epoch?: number; trainLoss?: number; valLoss?: number })
    .filter((r) => r.epoch !== undefined);

  it('train 1 epoch, then --resume DIR --epochs 3, equals an uninterrupted 3-epoch run; metrics are appended', async () => {
    const a = join(tmp(), 'run');
    const b = join(tmp(), 'run');
    expect((await run('train', ...small, '--epochs', '1', '--out', a)).code).toBe(0);
    const first = readFileSync(join(a, 'metrics.jsonl'), 'utf8');
    const resumed = await run('train', '--resume', a, '--epochs', '3');
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/resuming .* after epoch 1 of 3/);
    expect(resumed.lines.filter((l) => /^epoch \d\/3/.test(l)).map((l) => l.slice(0, 9))).toEqual(['epoch 2/3', 'epoch 3/3']);
    expect(readFileSync(join(a, 'metrics.jsonl'), 'utf8').startsWith(first)).toBe(true); // appended, not rewritten
    expect((await run('train', ...small, '--epochs', '3', '--out', b)).code).toBe(0);
    const got = epochLosses(a);
    const want = epochLosses(b);
    expect(got.map((r) => r.epoch)).toEqual([1, 2, 3]);
    got.forEach((r, i) => {
      expect(r.trainLoss!).toBeCloseTo(want[i].trainLoss!, 5);
      expect(r.valLoss!).toBeCloseTo(want[i].valLoss!, 5);
    });
    // Finished: resuming again asks for a larger total.
    const again = await run('train', '--resume', a);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/has already trained 3 of 3 epochs; pass --epochs N with N > 3/);

    // export --pytorch writes model.py beside the weights.
    const py = join(tmp(), 'py');
    const ex = await run('export', '--pytorch', py, '--run', a);
    expect(ex.err).toBe('');
    expect(ex.code).toBe(0);
    expect(existsSync(join(py, 'model.py'))).toBe(true);
    expect(existsSync(join(py, 'model.safetensors'))).toBe(true);
  });

  it('train --precision mixed: the step stores f16 values with loss scaling; the scaler is reported and recorded', async () => {
    const dir = join(tmp(), 'run');
    const r = await run('train', ...small, '--epochs', '2', '--precision', 'mixed', '--out', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/loss scale \d+ · 0 steps skipped on overflow/);
    const records = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((x) => x.scaler)?.scaler).toMatchObject({ scale: 65536, skippedSteps: 0, foundInf: false });
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).precision).toBe('mixed');
    const losses = epochLosses(dir).map((e) => e.trainLoss!);
    expect(losses[1]).toBeLessThan(losses[0]);
    const ex = await run('explain', '--model', 'mlp', '--batch-size', '8', '--precision', 'mixed');
    expect(ex.code).toBe(0);
    expect(ex.out).toMatch(/\[8, 128\]h/);
    expect(ex.out).toMatch(/amp_unscale/);
  });

  it('train with the default model (the batch-norm CNN on mnist), f32 and mixed, runs to the end', async () => {
    // The default model has batch norm: its i32 num_batches_tracked once broke fit's snapshot.
    for (const precision of ['f32', 'mixed']) {
      const dir = join(tmp(), `cnn-${precision}`);
      const r = await run('train', '--count', '300', '--batch-size', '32', '--epochs', '1', '--precision', precision, '--out', dir);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const [e] = epochLosses(dir);
      expect(Number.isFinite(e.trainLoss)).toBe(true);
    }
  });

  it('curve trains on growing nested subsets and writes curve.jsonl and report.html with its two charts', async () => {
    const dir = join(tmp(), 'curve');
    const r = await run('curve', '--model', 'mlp', '--dataset', 'spiral', '--count', '400', '--fractions', '0.1,0.5,1', '--epochs', '4', '--batch-size', '16', '--lr', '0.02', '--out', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const points = readFileSync(join(dir, 'curve.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    // 400 samples → 360 in the training split: subsets of 36, 180 and 360.
    expect(points.map((p) => p.samples)).toEqual([36, 180, 360]);
    for (const p of points) {
      for (const k of ['trainAccuracy', 'valAccuracy', 'gap', 'testAccuracy', 'testLoss']) expect(Number.isFinite(p[k]), k).toBe(true);
      expect(p.gap).toBeCloseTo(p.trainAccuracy - p.valAccuracy, 12);
    }
    // The whole training split learns the spiral better than a tenth of it.
    expect(points[2].testAccuracy).toBeGreaterThan(points[0].testAccuracy);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    for (const id of ['test', 'gap']) expect(html).toContain(`id="chart-${id}"`);
    expect(r.lines.filter((l) => /samples: train acc/.test(l))).toHaveLength(3);
    // A second run into the same directory is refused; bad fractions are named.
    expect((await run('curve', '--out', dir)).err).toMatch(/already holds curve\.jsonl/);
    expect((await run('curve', '--fractions', '0.5,0.2', '--out', join(tmp(), 'c2'))).err).toMatch(/--fractions must increase, got 0\.5 before 0\.2/);
    expect((await run('curve', '--fractions', '0,1', '--out', join(tmp(), 'c3'))).err).toMatch(/--fractions must be numbers in \(0, 1\] separated by commas, got '0'/);
  });

  it('prune reports parameters and test accuracy per amount: unstructured (zeros), structured (a compacted model), fine-tuned', async () => {
    const dir = join(tmp(), 'run');
    expect((await run('train', ...small, '--epochs', '3', '--out', dir)).code).toBe(0);
    const u = await run('prune', '--run', dir, '--amount', '0,0.5,0.9', '--finetune-epochs', '1');
    expect(u.err).toBe('');
    expect(u.code).toBe(0);
    const lines = readFileSync(join(dir, 'prune.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | boolean>);
    expect(lines.map((l) => l.amount)).toEqual([0, 0.5, 0.9]);
    const dense = Number(/· (\d+) parameters ·/.exec(u.out)![1]);
    const denseAcc = Number(/test accuracy (\d\.\d+) \(/.exec(u.out)![1]);
    // Amount 0 is the run's own model; unstructured pruning keeps the parameter count and zeroes weights.
    expect(lines[0].testAccuracy).toBeCloseTo(denseAcc, 4);
    for (const l of lines) expect(l.parameters).toBe(dense);
    expect(Number(lines[1].nonzero)).toBeLessThan(Number(lines[0].nonzero));
    expect(Number(lines[2].nonzero)).toBeLessThan(Number(lines[1].nonzero));
    for (const l of lines) expect(Number.isFinite(l.finetunedAccuracy)).toBe(true);
    const st = await run('prune', '--run', dir, '--amount', '0.5', '--structured');
    expect(st.code).toBe(0);
    const last = JSON.parse(readFileSync(join(dir, 'prune.jsonl'), 'utf8').trim().split('\n').at(-1)!) as Record<string, number | boolean>;
    expect(last.structured).toBe(true);
    expect(Number(last.parameters)).toBeLessThan(dense);
    // The CLI's CNN (zero-padded convs after batch norm) compacts: 4 of 8 and 8 of 16 channels stay,
    // 1·4·9 + 4 + 2·4 + 4·8·9 + 8 + 2·8 + 8·7·7·10 + 10 = 4290 of 9146 parameters.
    const cnn = join(tmp(), 'cnn');
    expect((await run('train', '--count', '200', '--epochs', '1', '--out', cnn)).code).toBe(0);
    const c = await run('prune', '--run', cnn, '--amount', '0.5', '--structured');
    expect(c.code).toBe(0);
    // The second conv follows dropped channels whose constant survives the ReLU: it adds their border map.
    expect(c.out).toMatch(/amount 0\.50: 4290 parameters \(46\.9 % of dense, compacted: 1 conv with a constant map\), 4290 nonzero · test accuracy \d\.\d{4}\n/);
    const cl = JSON.parse(readFileSync(join(cnn, 'prune.jsonl'), 'utf8').trim()) as Record<string, unknown>;
    expect([cl.parameters, cl.constantMaps, cl.notCompacted]).toEqual([4290, 1, undefined]);
    expect((await run('prune', '--run', dir, '--amount', '1')).err).toMatch(/--amount must be fractions in \[0, 1\) separated by commas, got '1'/);
    expect((await run('prune', '--run', join(tmp(), 'none'))).err).toMatch(/holds no trained run/);
  });

  it('evaluate scores a run on its test split, per class, and with --ood the AUROC against an OOD set', async () => {
    const dir = join(tmp(), 'mnist');
    expect((await run('train', '--model', 'mlp', '--count', '400', '--epochs', '2', '--out', dir)).code).toBe(0);
    const trained = JSON.parse(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').find((l) => l.includes('"test"'))!).test as Record<string, number>;
    const r = await run('evaluate', '--run', dir, '--ood', 'spiral', '--method', 'energy');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // The same test split as train's: the same accuracy and ROC AUC.
    const acc = Number(/accuracy (\d\.\d+)/.exec(r.out)![1]);
    expect(acc).toBeCloseTo(trained.accuracy, 4);
    expect(Number(/ROC-AUC (\d\.\d+)/.exec(r.out)![1])).toBeCloseTo(trained.rocAuc, 4);
    expect(r.lines.filter((l) => /^ {2}class \d: ROC AUC/.test(l)).length).toBeGreaterThanOrEqual(9);
    const ood = /^OOD: spiral \(40 images\) vs the test split, score energy: AUROC (\d\.\d+)/m.exec(r.out);
    expect(ood, r.out).not.toBeNull();
    const html = readFileSync(join(dir, 'evaluate.html'), 'utf8');
    for (const id of ['roc', 'pr']) expect(html).toContain(`id="chart-${id}"`);
    const spiralRun = join(tmp(), 'spiral');
    expect((await run('train', ...small, '--epochs', '1', '--out', spiralRun)).code).toBe(0);
    expect((await run('evaluate', '--run', spiralRun, '--ood', 'noise')).err).toMatch(/--ood builds 28×28 images; .* was trained on spiral/);
    expect((await run('evaluate', '--run', join(tmp(), 'none'))).err).toMatch(/holds no trained run/);
  });

  it('train --teacher distils a trained run into the student and compares with the student trained alone', async () => {
    const teacher = join(tmp(), 'teacher');
    expect((await run('train', ...small, '--epochs', '4', '--out', teacher)).code).toBe(0);
    const dir = join(tmp(), 'student');
    const r = await run('train', ...small, '--epochs', '2', '--teacher', teacher, '--temperature', '3', '--alpha', '0.7', '--out', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^distillation: mlp student \d\.\d{4} with the mlp teacher \(test accuracy \d\.\d{4}, T 3, α 0\.7\) vs \d\.\d{4} trained alone for the same 2 epoch\(s\)$/m);
    const rec = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>).find((l) => l.distillation)!.distillation;
    expect(rec).toMatchObject({ teacher, temperature: 3, alpha: 0.7, epochs: 2 });
    for (const k of ['teacherAccuracy', 'studentAccuracy', 'withoutTeacherAccuracy']) expect(Number.isFinite(rec[k]), k).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({ teacher, temperature: 3, alpha: 0.7 });
    // The teacher must share the data split; the distillation flags need a teacher.
    expect((await run('train', ...small, '--seed', '2', '--teacher', teacher, '--out', join(tmp(), 'x'))).err).toMatch(/was trained with --seed 1, this run has --seed 2/);
    expect((await run('train', ...small, '--alpha', '0.3', '--out', join(tmp(), 'y'))).err).toMatch(/--temperature and --alpha are for distillation: give --teacher DIR/);
    expect((await run('train', ...small, '--teacher', teacher, '--alpha', '1.5', '--out', join(tmp(), 'z'))).err).toMatch(/--alpha must be in \[0, 1\], got 1\.5/);
  });

  it('train --ensemble 3: three seeds, each member and the ensemble scored, the calibration gain reported', async () => {
    const dir = join(tmp(), 'ens');
    const r = await run('train', ...small, '--epochs', '2', '--ensemble', '3', '--out', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = readFileSync(join(dir, 'ensemble.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.slice(0, 3).map((l) => l.seed)).toEqual([1, 2, 3]);
    const s = lines[3].ensemble as Record<string, number>;
    expect(s.members).toBe(3);
    for (const k of ['ensembleAccuracy', 'voteAccuracy', 'meanMemberEce', 'ensembleEce']) expect(Number.isFinite(s[k]), k).toBe(true);
    expect(s.calibrationGain).toBeCloseTo(s.meanMemberEce - s.ensembleEce, 12);
    expect(s.meanMemberAccuracy).toBeCloseTo((Number(lines[0].accuracy) + Number(lines[1].accuracy) + Number(lines[2].accuracy)) / 3, 12);
    for (const k of [0, 1, 2]) expect(existsSync(join(dir, `member-${k}.safetensors`))).toBe(true);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toMatch(/ensemble \(mean probability\)/);
    expect(r.out).toMatch(/^calibration: ECE \d\.\d{4} for the ensemble vs \d\.\d{4} for the mean member/m);
    expect((await run('train', '--model', 'gpt', '--dataset', 'names', '--ensemble', '2', '--out', join(tmp(), 'g'))).err).toMatch(/--ensemble and --teacher train the classification models/);
  });

  it('search prints each trial as it finishes, before the results table', async () => {
    const out = tmp();
    const r = await run('search', '--trials', '2', '--epochs', '1', '--count', '100', '--out', out);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const trialLines = r.lines.map((l, i) => [l, i] as const).filter(([l]) => /^trial \d\/2 /.test(l));
    expect(trialLines.map(([l]) => l.slice(0, 9))).toEqual(['trial 1/2', 'trial 2/2']);
    expect(trialLines[0][0]).toMatch(/lr=\S+ batchSize=\d+ optimizer=\w+ → valLoss \d\.\d{4} valAccuracy \d\.\d{4} \(\d+\.\d s\)/);
    const table = r.lines.findIndex((l, i) => i > trialLines[1][1] && l.length > 0);
    expect(table).toBeGreaterThan(trialLines[1][1]);
    expect(readFileSync(join(out, 'trials.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
  });
});
