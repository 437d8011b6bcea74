// The row kernels' versions side by side, in one run on this adapter: for softmax, layerNorm,
// crossEntropy, sum / max, argmax and globalNorm, each version the adapter can run ('thread' — one
// thread per row —, 'tree' — a workgroup per row, tree reduction —, 'subgroup' — a workgroup per row,
// subgroup operations; src/ops/kernel-rules.ts) is compiled into its own plan with setRowVersion, its
// outputs are checked against the tree version's, and the plans are timed interleaved (wall clock of
// run + onSubmittedWorkDone, median). Prints a table with each version's ratio to the tree version
// (tree ms / version ms: above 1× is faster) and the version today's fixed rule picks.
//
//   npx tsx bench/row-versions.ts [--reps 7] [--markdown]

import * as sg from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gpu } from '../src/gpu/device.js';
import { argmax, globalNorm } from '../src/ops/reduce.js';
import { rowVersion, rowVersions, setRowVersion, type RowVersion, type RowVersionRule } from '../src/ops/kernel-rules.js';

interface Case {
  op: string;
  shape: string;
  /** The rules the op's kernels follow (all are forced to the version under test). */
  rules: RowVersionRule[];
  /** The row length and row count the first rule sees (for the fixed rule's choice). */
  length: number;
  rows: number;
  build: () => Tensor[];
}

function seeded(n: number, seed: number, scale = 1): Float32Array {
  let a = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return scale * ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1);
  });
}

function softmaxCase(N: number, C: number): Case {
  const z = sg.tensor(seeded(N * C, 1, 4), [N, C]);
  const r = sg.tensor(seeded(N * C, 2), [N, C]);
  return {
    op: 'softmax fwd+bwd', shape: `${N}×${C}`, rules: ['softmax'], length: C, rows: N,
    build: () => {
      const y = sg.softmax(z);
      return [y, sg.gradients(sg.sum(sg.mul(y, r)), [z])[0]];
    },
  };
}

function layerNormCase(N: number, D: number): Case {
  const x = sg.tensor(seeded(N * D, 3, 2), [N, D]);
  const w = sg.tensor(seeded(D, 4, 0.2).map((v) => v + 1), [D]);
  const b = sg.tensor(seeded(D, 5, 0.2), [D]);
  const r = sg.tensor(seeded(N * D, 6), [N, D]);
  return {
    op: 'layerNorm fwd+bwd', shape: `${N}×${D}`, rules: ['layerNormRows'], length: D, rows: N,
    build: () => {
      const y = sg.layerNorm(x, [D], w, b);
      return [y, sg.gradients(sg.sum(sg.mul(y, r)), [x])[0]];
    },
  };
}

function crossEntropyCase(N: number, C: number): Case {
  const z = sg.tensor(seeded(N * C, 7, 4), [N, C]);
  const t = sg.tensor(Int32Array.from({ length: N }, (_, i) => (i * 7) % C), [N], { dtype: 'i32' });
  return {
    op: 'crossEntropy fwd+bwd', shape: `${N}×${C}`, rules: ['crossEntropyRows', 'crossEntropySum'], length: C, rows: N,
    build: () => {
      const l = sg.crossEntropy(z, t);
      return [l, sg.gradients(l, [z])[0]];
    },
  };
}

function reduceCase(kind: 'sum' | 'max', N: number, C: number): Case {
  const x = sg.tensor(seeded(N * C, 8), [N, C]);
  return { op: `${kind} over the last axis`, shape: `${N}×${C}`, rules: ['reduce'], length: C, rows: N, build: () => [sg[kind](x, -1)] };
}

function argmaxCase(N: number, C: number): Case {
  const x = sg.tensor(seeded(N * C, 9), [N, C]);
  return { op: 'argmax over the last axis', shape: `${N}×${C}`, rules: ['argReduce'], length: C, rows: N, build: () => [argmax(x, -1)] };
}

function globalNormCase(n: number): Case {
  const a = sg.tensor(seeded(n, 10), [n]);
  const b = sg.tensor(seeded(1000, 11), [1000]);
  return { op: 'globalNorm', shape: `[${n}] + [1000]`, rules: ['globalNorm'], length: n + 1000, rows: 1, build: () => [globalNorm([a, b])] };
}

function withVersion<T>(rules: RowVersionRule[], version: RowVersion, fn: () => T): T {
  rules.forEach((r) => setRowVersion(r, version));
  try {
    return fn();
  } finally {
    rules.forEach((r) => setRowVersion(r));
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const reps = Number(args[args.indexOf('--reps') + 1] || 7) || 7;
  const markdown = args.includes('--markdown');
  const info = await sg.init({ quiet: true });
  const features = gpu().info.features;
  const cases = [
    softmaxCase(512, 1000), softmaxCase(2, 65536),
    layerNormCase(512, 512), layerNormCase(2, 65536),
    crossEntropyCase(512, 1000), crossEntropyCase(2, 32768),
    reduceCase('sum', 512, 1000), reduceCase('sum', 16, 65536), reduceCase('max', 16, 65536),
    argmaxCase(512, 1000), argmaxCase(16, 65536),
    globalNormCase(1 << 20),
  ];
  const lines: string[] = [];
  const row = (cells: (string | number)[]) => lines.push(markdown ? `| ${cells.join(' | ')} |` : cells.join('\t'));
  row(['op', 'shape', 'version', 'median ms', 'vs tree', 'fixed rule']);
  if (markdown) lines.push('|---|---|---|---:|---:|---|');
  for (const c of cases) {
    const versions = rowVersions(c.rules[0], features);
    const fixed = rowVersion(c.rules[0], c.length, c.rows);
    // Outputs per version (eagerly, under the version), checked against the tree version's.
    const want = await withVersion(c.rules, 'tree', () => sg.read(...c.build()));
    const plans = new Map<RowVersion, sg.Plan>();
    for (const v of versions) {
      const got = await withVersion(c.rules, v, () => sg.read(...c.build()));
      got.forEach((g, k) => g.forEach((x, i) => {
        const w = want[k][i];
        if (!(Math.abs(x - w) <= 1e-3 + 1e-3 * Math.abs(w))) throw new Error(`${c.op} ${c.shape} ${v}: output ${k}[${i}] is ${x}, tree ${w}`);
      }));
      plans.set(v, await withVersion(c.rules, v, () => sg.compile(() => Object.fromEntries(c.build().map((t, k) => [`out${k}`, t])), {
        inputs: [], readEvery: 2 ** 30, label: `${c.op} ${v}`,
      })));
    }
    const times = new Map<RowVersion, number[]>(versions.map((v) => [v, []]));
    for (const plan of plans.values()) { plan.run(); await gpu().device.queue.onSubmittedWorkDone(); } // warm-up
    for (let k = 0; k < reps; k++) {
      for (const [v, plan] of plans) {
        const t0 = performance.now();
        plan.run();
        await gpu().device.queue.onSubmittedWorkDone();
        times.get(v)!.push(performance.now() - t0);
      }
    }
    const tree = median(times.get('tree')!);
    for (const v of versions) {
      const ms = median(times.get(v)!);
      row([c.op, c.shape, v, ms.toFixed(2), `${(tree / ms).toFixed(2)}×`, v === fixed ? 'picked' : '']);
    }
    plans.forEach((p) => p.dispose());
  }
  console.log(`adapter: ${info.vendor} ${info.architecture} ${info.description} · subgroups: ${features.includes('subgroups') ? 'yes' : 'no'} · ${reps} reps`);
  console.log(lines.join('\n'));
  sg.dispose();
}

main().catch((e) => {
  console.error(e);
  sg.dispose();
  process.exit(1);
});
