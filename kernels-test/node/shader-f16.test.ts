// matmul's native-f16 version 'f16native' (shaders/matmul_f16.wgsl, src/ops/matmul-f16.ts) on this
// adapter. Where the device lacks `shader-f16` (SwiftShader) the f16 module cannot compile, so:
//   - the version is offered only where the feature and f16 operands are there (eligibility, and
//     matmul's version list that the tuner reads), so tuning never picks it here;
//   - the WGSL is well-formed: wgsl_reflect parses it (`enable f16;`, array<f16>, vec4<f16>) and its
//     reflection is the generated descriptor; this device refuses the f16 module (the gate is real);
//   - the same code with `h16` = f32 (the two lines the WGSL header names swapped) compiles and runs
//     here on f32 operands against a float64 reference: the tiling, the transposes, batch strides,
//     the epilogue (bias f32 / f16, activations) and the f16 pair stores of C (C_HALF), with NaN-
//     poisoned outputs;
//   - the half-native case table reports every case as 'not run: adapter lacks shader-f16', and its
//     cases (inputs, edge values, tolerances) pass with the tile8x8 version in their place.
// On a device with `shader-f16` the version must be offered and the table's cases must pass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WgslReflect, ResourceType } from 'wgsl_reflect/wgsl_reflect.module.js';
import * as sg from '../../src/index.js';
import { wgslSource } from '../../src/gpu/kernels.js';
import { KERNELS } from '../../src/gpu/kernels.gen.js';
import {
  encodeMatmulF16, f16NativeEligible, f16NativeHalfOutputOk, f16NativeRefusal, f16NativeTile, matmulF16Kernels,
} from '../../src/ops/matmul-f16.js';
import { linearOp, linearVersions, LINEAR_VERSIONS, matmulOp, matmulVersions, pickVersion, MATMUL_VERSIONS } from '../../src/ops/matmul.js';
import { VERSIONED_OPS } from '../../src/graph/tune.js';
import { packHalf, toHalf, unpackHalf } from '../../src/util/half.js';
import { compare, rng, runCase } from '../harness.js';
import { cases as halfNativeCases, halfNativeTable } from '../cases/half-native.js';

const FILE = 'matmul_f16.wgsl';
const ENTRY = 'matmul_f16_tile';
const both = { a: true, b: true };

describe('eligibility (src/ops/matmul-f16.ts)', () => {
  const shape = { M: 64, N: 48, K: 32 };
  it('needs shader-f16 and both operands stored as f16', () => {
    expect(f16NativeEligible(shape, ['shader-f16'], both)).toBe(true);
    expect(f16NativeEligible(shape, ['subgroups', 'timestamp-query'], both)).toBe(false);
    expect(f16NativeRefusal(shape, [], both)).toMatch(/lacks the feature shader-f16/);
    expect(f16NativeEligible(shape, ['shader-f16'])).toBe(false);
    expect(f16NativeEligible(shape, ['shader-f16'], { a: true })).toBe(false);
    expect(f16NativeEligible(shape, ['shader-f16'], { b: true, c: true })).toBe(false);
    expect(f16NativeRefusal(shape, ['shader-f16'], { a: true })).toMatch(/not both stored as f16/);
  });
  it('stores C as f16 only where a thread owns whole words: N even, or a single row', () => {
    expect(f16NativeEligible({ M: 5, N: 6, K: 3, batch: 3 }, ['shader-f16'], { a: true, b: true, c: true })).toBe(true);
    expect(f16NativeEligible({ M: 1, N: 7, K: 3 }, ['shader-f16'], { a: true, b: true, c: true })).toBe(true);
    expect(f16NativeHalfOutputOk({ M: 1, N: 7, K: 3, batch: 2 })).toBe(false);
    expect(f16NativeRefusal({ M: 3, N: 7, K: 3 }, ['shader-f16'], { a: true, b: true, c: true })).toMatch(/odd N/);
    // An f32 C is fine for any N.
    expect(f16NativeEligible({ M: 3, N: 7, K: 3 }, ['shader-f16'], both)).toBe(true);
  });
  it('takes 8-wide register tiles only where a dimension holds four 128 blocks', () => {
    expect(f16NativeTile(64, 64)).toEqual({ tm: 4, tn: 4 });
    expect(f16NativeTile(4096, 100)).toEqual({ tm: 8, tn: 4 });
    expect(f16NativeTile(512, 512)).toEqual({ tm: 8, tn: 8 });
  });
});

describe("matmul's version list and choice", () => {
  const shape = { M: 64, N: 48, K: 32 };
  it('matmulVersions offers f16native only with shader-f16 and A and B stored as f16, after the f32 ladder', () => {
    const l = matmulVersions(shape, ['shader-f16', 'subgroups'], { a: true, b: true });
    expect(l.at(-1)).toBe('f16native');
    expect(l.slice(0, -1)).toEqual(matmulVersions(shape, ['subgroups'], { a: true, b: true }));
    expect(matmulVersions(shape, ['shader-f16'], { a: true, b: true, c: true })).toContain('f16native');
    expect(matmulVersions(shape, ['subgroups', 'timestamp-query'], { a: true, b: true })).not.toContain('f16native');
    expect(matmulVersions(shape, ['shader-f16'])).not.toContain('f16native');
    expect(matmulVersions(shape, ['shader-f16'], { a: true })).not.toContain('f16native');
    expect(matmulVersions({ M: 3, N: 7, K: 5 }, ['shader-f16'], { a: true, b: true, c: true })).not.toContain('f16native');
    expect(MATMUL_VERSIONS).not.toContain('f16native');
  });
  it('linearVersions offers f16native on the same terms (shader-f16, x and W f16), after the f32 list', () => {
    const l = linearVersions(shape, ['shader-f16', 'subgroups'], { a: true, b: true });
    expect(l.at(-1)).toBe('f16native');
    expect(l.slice(0, -1)).toEqual(linearVersions(shape, ['subgroups'], { a: true, b: true }));
    expect(linearVersions(shape, ['shader-f16'], { a: true, b: true, bias: true, c: true })).toContain('f16native');
    expect(linearVersions(shape, ['subgroups'], { a: true, b: true })).not.toContain('f16native');
    expect(linearVersions(shape, ['shader-f16'], { b: true, c: true })).not.toContain('f16native');
    expect(linearVersions({ M: 3, N: 7, K: 5 }, ['shader-f16'], { a: true, b: true, c: true })).not.toContain('f16native');
    expect(LINEAR_VERSIONS).not.toContain('f16native');
    expect(linearOp.kernels).toContain(matmulF16Kernels.tile);
  });
  it("forced where A or B is f32 (a gradient reusing the version), it runs what 'auto' picks", () => {
    const attrs = { version: 'f16native' as const, transA: false, transB: true };
    const dims = { M: 40, N: 24, K: 16, batch: 1 };
    expect(pickVersion(attrs, dims, true, {})).toBe('reg');
    expect(pickVersion(attrs, dims, false, { a: true })).toBe('tiled');
    expect(pickVersion(attrs, { M: 3, N: 7, K: 5, batch: 1 }, true, { a: true, b: true, c: true })).toBe('reg');
    expect(pickVersion(attrs, dims, true, { a: true, b: true })).toBe('f16native');
  });
});

describe('the WGSL module', () => {
  it('parses with wgsl_reflect, f16 types included, and its reflection is the generated descriptor', () => {
    const text = wgslSource(FILE);
    expect(text.split('\n').find((l) => l.trim() && !l.trim().startsWith('//'))).toBe('enable f16;');
    const r = new WgslReflect(text);
    const entry = r.entry.compute.find((e) => e.name === ENTRY)!;
    expect(entry).toBeDefined();
    expect(entry.workgroupSize).toEqual([16, 16, 1]);
    const res = [...entry.resources].sort((a, b) => a.binding - b.binding);
    expect(res.map((x) => [x.binding, x.name, x.resourceType === ResourceType.Uniform ? 'uniform' : x.access])).toEqual([
      [0, 'A', 'read'], [1, 'B', 'read'], [2, 'C', 'read_write'], [3, 'params', 'uniform'], [4, 'bias', 'read'],
    ]);
    // A and B are f16 arrays (through the h16 alias): the f16 storage layout, element by element.
    expect(res[0].type.getTypeName()).toMatch(/^array<(f16|h16)/);
    expect(res[1].type.getTypeName()).toMatch(/^array<(f16|h16)/);
    expect(r.overrides.map((o) => o.name).sort()).toEqual(['ACT', 'BIAS_HALF', 'C_HALF', 'HAS_BIAS', 'TM', 'TN', 'TRANS_A', 'TRANS_B']);
    const gen = KERNELS[ENTRY];
    expect(gen.file).toBe(FILE);
    expect(gen.bindings.map((b) => b.name)).toEqual(['A', 'B', 'C', 'params', 'bias']);
    expect(matmulF16Kernels.tile.overrides).toEqual(['ACT', 'BIAS_HALF', 'C_HALF', 'HAS_BIAS', 'TM', 'TN', 'TRANS_A', 'TRANS_B']);
  });
});

// ---- the same kernel with h16 = f32, run here ----------------------------------------------------

/** The kernel's code with f32 in place of f16: the `enable` line dropped, the alias retargeted. */
function f32Variant(): string {
  const text = wgslSource(FILE);
  const enable = /^enable f16;$/m;
  const alias = /^alias h16 = f16;$/m;
  expect(text.match(new RegExp(enable, 'gm'))?.length, 'one `enable f16;` line').toBe(1);
  expect(text.match(new RegExp(alias, 'gm'))?.length, 'one `alias h16 = f16;` line').toBe(1);
  return text.replace(enable, '').replace(alias, 'alias h16 = f32;');
}

interface Run {
  name: string;
  M: number; N: number; K: number;
  /** Batch of A and of B (1 = broadcast over the other's batch). */
  batchA?: number; batchB?: number;
  transA?: boolean; transB?: boolean;
  tm?: 4 | 8; tn?: 4 | 8;
  cHalf?: boolean;
  bias?: 'f32' | 'f16';
  act?: 0 | 1 | 2 | 3;
  /** Bias values drawn from this range (default [-1, 1]). */
  biasRange?: [number, number];
}

const ACTS = [(z: number) => z, (z: number) => (Number.isNaN(z) ? z : Math.max(z, 0)), (z: number) => 1 / (1 + Math.exp(-z)), Math.tanh];

function draw(n: number, rand: () => number, [lo, hi]: [number, number] = [-1, 1]): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

async function runF32Variant(dev: GPUDevice, module: GPUShaderModule, layout: GPUBindGroupLayout, r: Run): Promise<string> {
  const { M, N, K } = r;
  const batchA = r.batchA ?? 1;
  const batchB = r.batchB ?? 1;
  const batch = Math.max(batchA, batchB);
  const rand = rng(M * 7919 + N * 104729 + K * 31 + batch);
  const a = draw(batchA * M * K, rand);
  const b = draw(batchB * K * N, rand);
  const biasV = draw(N, rand, r.biasRange);
  if (r.bias === 'f16') for (let i = 0; i < N; i++) biasV[i] = toHalf(biasV[i]);
  // Reference, float64: op(A)(m, k) = A[k, m] when transposed.
  const want = new Float64Array(batch * M * N);
  for (let bt = 0; bt < batch; bt++) {
    const a0 = batchA === 1 ? 0 : bt * M * K;
    const b0 = batchB === 1 ? 0 : bt * K * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          s += a[a0 + (r.transA ? k * M + m : m * K + k)] * b[b0 + (r.transB ? n * K + k : k * N + n)];
        }
        if (r.bias) s += biasV[n];
        s = ACTS[r.act ?? 0](s);
        want[(bt * M + m) * N + n] = r.cHalf ? toHalf(s) : s;
      }
    }
  }
  const words = r.cHalf ? Math.ceil((batch * M * N) / 2) : batch * M * N;
  const buf = (data: ArrayBufferView, usage: number) => {
    const size = Math.max(16, Math.ceil(data.byteLength / 4) * 4);
    const g = dev.createBuffer({ size, usage: usage | GPUBufferUsage.COPY_DST });
    dev.queue.writeBuffer(g, 0, data.buffer, data.byteOffset, data.byteLength);
    return g;
  };
  const S = GPUBufferUsage.STORAGE;
  const A = buf(a, S);
  const B = buf(b, S);
  const C = buf(new Uint32Array(words).fill(r.cHalf ? 0x7e007e00 : 0x7fc00000), S | GPUBufferUsage.COPY_SRC); // NaN-poisoned
  const bias = buf(r.bias === 'f16' ? packHalf(biasV) : biasV, S);
  const params = buf(Uint32Array.from([
    M, N, K, batchA === 1 ? 0 : M * K, batchB === 1 ? 0 : K * N,
    r.transA ? 1 : K, r.transA ? M : 1, r.transB ? 1 : N, r.transB ? K : 1, 1, K, 0,
  ]), GPUBufferUsage.UNIFORM);
  const tm = r.tm ?? 4;
  const tn = r.tn ?? 4;
  const constants: Record<string, number> = { TM: tm, TN: tn, TRANS_A: r.transA ? 1 : 0, TRANS_B: r.transB ? 1 : 0,
    C_HALF: r.cHalf ? 1 : 0, HAS_BIAS: r.bias ? 1 : 0, BIAS_HALF: r.bias === 'f16' ? 1 : 0, ACT: r.act ?? 0 };
  const pipeline = await dev.createComputePipelineAsync({
    layout: dev.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: ENTRY, constants },
  });
  const group = dev.createBindGroup({ layout, entries: [A, B, C, params, bias].map((buffer, binding) => ({ binding, resource: { buffer } })) });
  const staging = dev.createBuffer({ size: words * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = dev.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(Math.ceil(N / (16 * tn)), Math.ceil(M / (16 * tm)), batch);
  pass.end();
  enc.copyBufferToBuffer(C, 0, staging, 0, words * 4);
  dev.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const raw = new Uint32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  for (const g of [A, B, C, bias, params, staging]) g.destroy();
  const got = r.cHalf ? unpackHalf(raw, batch * M * N) : new Float32Array(raw.buffer);
  const shape = [batch, M, N];
  const msg = compare(r.name, got, { data: want, shape }, 1e-5, r.cHalf ? 2e-3 : 2e-5);
  if (msg) return msg;
  // A single row with odd N: the padding half of the last word is 0, not left poisoned.
  if (r.cHalf && (batch * M * N) % 2 === 1 && raw[words - 1] >>> 16 !== 0) return `${r.name}: padding half ${(raw[words - 1] >>> 16).toString(16)}`;
  return '';
}

const RUNS: Run[] = [
  { name: '7×7×7', M: 7, N: 7, K: 7 },
  { name: '1×1×1', M: 1, N: 1, K: 1 },
  { name: 'odd 33×17, K = 65 (slices of 16 and a partial one)', M: 33, N: 17, K: 65 },
  { name: 'transA 17×12×9', M: 17, N: 12, K: 9, transA: true },
  { name: 'transB 5×13×70', M: 5, N: 13, K: 70, transB: true },
  { name: 'transA transB 66×8×3', M: 66, N: 8, K: 3, transA: true, transB: true },
  { name: 'batched [3,5,7]×[3,7,4]', M: 5, N: 4, K: 7, batchA: 3, batchB: 3 },
  { name: 'broadcast B over a batch of 4, transB', M: 6, N: 9, K: 11, batchA: 4, transB: true },
  { name: 'broadcast A over a batch of 2, transA', M: 10, N: 6, K: 5, batchB: 2, transA: true },
  { name: '8×8 tiles 130×132×20 (two 128 blocks each way)', M: 130, N: 132, K: 20, tm: 8, tn: 8 },
  { name: '8×4 tiles transA transB 140×70×33', M: 140, N: 70, K: 33, tm: 8, tn: 4, transA: true, transB: true },
  { name: '4×8 tiles batched 20×140×17', M: 20, N: 140, K: 17, tm: 4, tn: 8, batchA: 2, batchB: 2 },
  { name: 'f32 bias + relu 9×11×6', M: 9, N: 11, K: 6, bias: 'f32', act: 1 },
  { name: 'f16 bias + sigmoid 9×11×6', M: 9, N: 11, K: 6, bias: 'f16', act: 2 },
  { name: 'tanh, transB, 8×8 tiles 70×150×9', M: 70, N: 150, K: 9, act: 3, transB: true, tm: 8, tn: 8 },
  { name: 'f16 C, N even, batched 2×[9,10], K = 16', M: 9, N: 10, K: 16, batchA: 2, batchB: 2, cHalf: true },
  { name: 'f16 C, 8×8 tiles 130×132×20 transA', M: 130, N: 132, K: 20, tm: 8, tn: 8, cHalf: true, transA: true },
  { name: 'f16 C, one row of odd N 1×13×7', M: 1, N: 13, K: 7, cHalf: true },
  { name: 'f16 C, one row of N = 1', M: 1, N: 1, K: 5, cHalf: true, bias: 'f16' },
  { name: 'f16 C overflow to ±∞ past 65520, saturation below it (f32 bias in ±7e4)', M: 6, N: 8, K: 4, cHalf: true, bias: 'f32', biasRange: [-7e4, 7e4] },
  { name: 'f16 C, f16 bias + relu, 4×8 tiles 12×520×24', M: 12, N: 520, K: 24, tn: 8, cHalf: true, bias: 'f16', act: 1 },
];

describe('on this adapter', () => {
  let hasF16 = false;
  let software = false;
  beforeAll(async () => {
    software = (await sg.init({ poison: true })).software;
    hasF16 = sg.device().features.has('shader-f16');
  });
  afterAll(() => sg.dispose());

  it('a software adapter (SwiftShader) has no shader-f16; the version is offered exactly where the feature is', () => {
    if (software) expect(hasF16).toBe(false);
    const features = [...sg.device().features];
    const shape = { M: 64, N: 64, K: 64 };
    expect(f16NativeEligible(shape, features, both)).toBe(hasF16);
    expect(matmulVersions(shape, features, both).includes('f16native')).toBe(hasF16);
    // The tuner's candidates for a matmul node (src/graph/tune.ts) never include it here.
    const m = (...s: number[]) => ({ shape: s, dtype: 'f32' as const });
    const tuned = VERSIONED_OPS.matmul([m(64, 64), m(64, 64)], [m(64, 64)], { transA: false, transB: false, version: 'auto' }, features);
    expect(tuned).not.toContain('f16native');
  });

  // An encode context that fails on any GPU work: a refusal must come before it.
  const ctx = {
    dispatch: () => { throw new Error('dispatched'); },
    scratch: () => { throw new Error('scratch'); },
    fill: () => { throw new Error('fill'); },
    limits: { maxWorkgroupsPerDim: 65535, maxWorkgroupStorage: 16384, maxStorageBuffers: 8 },
  };
  const dummy = {} as GPUBuffer;

  it("refuses a forced 'f16native' on f16 operands without the feature, naming it", () => {
    if (hasF16) return;
    const m = (...s: number[]) => ({ shape: s, dtype: 'f32' as const });
    expect(() => matmulOp.encode!(ctx, {
      inputs: [dummy, dummy], outputs: [dummy], inMeta: [m(8, 6), m(6, 4)], outMeta: [m(8, 4)],
      attrs: { transA: false, transB: false, version: 'f16native' }, half: { inputs: [true, true], outputs: [true] },
    })).toThrow(/version 'f16native' cannot run here: the device lacks the feature shader-f16/);
    expect(() => linearOp.encode!(ctx, {
      inputs: [dummy, dummy, dummy], outputs: [dummy], inMeta: [m(8, 6), m(4, 6), m(4)], outMeta: [m(8, 4)],
      attrs: { activation: 'relu', hasBias: true, version: 'f16native' }, half: { inputs: [true, true, false], outputs: [true] },
    })).toThrow(/version 'f16native' cannot run here: the device lacks the feature shader-f16/);
  });

  it('refuses to encode the version without the feature, naming it, before any f16 module is compiled', () => {
    if (hasF16) return;
    expect(() => encodeMatmulF16(ctx, { A: dummy, B: dummy, C: dummy, bias: dummy }, { M: 4, N: 4, K: 4 }, {},
      { transA: false, transB: false }, 1, both)).toThrow(/version 'f16native' cannot run here: the device lacks the feature shader-f16/);
  });

  it('the f16 module compiles only where the device has shader-f16', async () => {
    const dev = sg.device();
    dev.pushErrorScope('validation');
    const module = dev.createShaderModule({ code: wgslSource(FILE) });
    const info = await module.getCompilationInfo();
    const err = await dev.popErrorScope();
    const errors = info.messages.filter((m) => m.type === 'error').map((m) => m.message);
    if (hasF16) {
      expect(errors).toEqual([]);
      expect(err).toBeNull();
    } else {
      // Tint: "extension 'f16' is not allowed in the current environment".
      expect(errors.join('\n') + (err?.message ?? '')).toMatch(/extension 'f16'|shader-f16/);
    }
  });

  it('the half-native table reports each case as not run where the feature is missing (and passes where present)', async () => {
    expect(halfNativeCases.length).toBeGreaterThan(10);
    for (const c of halfNativeCases) {
      expect(c.requires).toEqual(['shader-f16']);
      const r = await runCase(c);
      if (!hasF16) expect(r.notRun, c.name).toBe('not run: adapter lacks shader-f16');
      else expect(r.message, c.name).toBe('');
    }
  });

  describe("the half-native table's cases with tile8x8 (u32-packed f16 reads, the same tiling) in place of f16native", () => {
    for (const c of halfNativeTable('tile8x8', [])) {
      it(c.name, async () => {
        const r = await runCase(c);
        expect(r.notRun).toBeUndefined();
        expect(r.message).toBe('');
      });
    }
  });

  describe('the same code with h16 = f32, run here', () => {
    let module: GPUShaderModule;
    let layout: GPUBindGroupLayout;
    beforeAll(async () => {
      const dev = sg.device();
      module = dev.createShaderModule({ code: f32Variant() });
      const info = await module.getCompilationInfo();
      expect(info.messages.filter((m) => m.type === 'error').map((m) => m.message)).toEqual([]);
      const ro = { type: 'read-only-storage' } as const;
      layout = dev.createBindGroupLayout({
        entries: [ro, ro, { type: 'storage' } as const, { type: 'uniform' } as const, ro]
          .map((buffer, binding) => ({ binding, visibility: GPUShaderStage.COMPUTE, buffer })),
      });
    });
    for (const r of RUNS) {
      it(r.name, async () => {
        const dev = sg.device();
        dev.pushErrorScope('validation');
        const msg = await runF32Variant(dev, module, layout, r);
        const err = await dev.popErrorScope();
        expect(err?.message ?? '').toBe('');
        expect(msg).toBe('');
      });
    }
  });
});
