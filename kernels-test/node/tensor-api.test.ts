// PyTorch-style tensors (issue 16 item 6): the creation functions (linspace, arange with an integer
// dtype, eye, full, the *Like family, rand, randn, randint) and the tensor methods
// (`x.matmul(w).relu().sum()`), against PyTorch's own numbers (kernels-test/fixtures/tensor-api/
// torch.json, made by make.py there with torch; the test does not need torch), their gradients, the
// seeding rules, the types, and the errors for bad input.
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import * as sg from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { caseOf, expectTorch, f32, loadFixture, values, type Entry } from '../torch-fixtures.js';

const fixture = loadFixture<{ cases: Record<string, Entry> }>('tensor-api/torch.json');
const C = (name: string): Entry => caseOf(fixture, name, 'tensor-api/make.py');
const vals = async (t: Tensor) => Array.from(await t.data());

beforeAll(async () => {
  await sg.init({ poison: true, quiet: true });
});
afterAll(() => sg.dispose());

describe('creation against torch', () => {
  it('linspace: f32 values bit for bit where torch runs its scalar formula (steps < 16), within an ulp above', async () => {
    const names = Object.keys(fixture.cases).filter((n) => n.startsWith('linspace_'));
    expect(names.length).toBeGreaterThan(25);
    for (const name of names) {
      const { attrs, outputs } = C(name);
      const [start, end, steps] = [attrs.start, attrs.end, attrs.steps] as number[];
      const y = sg.linspace(start, end, steps);
      expect([y.dtype, y.shape], name).toEqual(['f32', [steps]]);
      const got = await vals(y);
      const want = values(outputs.f32);
      if (steps < 16) expect(got, `${name} linspace(${start}, ${end}, ${steps})`).toEqual(want);
      else {
        const ulp = 2 ** -23 * Math.max(Math.abs(start), Math.abs(end));
        got.forEach((g, i) => expect(Math.abs(g - want[i]), `${name}[${i}]`).toBeLessThanOrEqual(ulp));
        expect([got[0], got[steps - 1]]).toEqual([want[0], want[steps - 1]]);
      }
    }
  });

  it('linspace with dtype i32: bounds truncated, then each value (torch\'s formula; its long CPU runs vary by SIMD width)', async () => {
    for (const name of Object.keys(fixture.cases).filter((n) => n.startsWith('linspace_'))) {
      const { attrs, outputs } = C(name);
      const [start, end, steps] = [attrs.start, attrs.end, attrs.steps] as number[];
      const y = sg.linspace(start, end, steps, { dtype: 'i32' });
      expect(y.dtype).toBe('i32');
      const got = await vals(y);
      const want = values(outputs.i32);
      if (steps < 16) expect(got, `${name} linspace(${start}, ${end}, ${steps}, i32)`).toEqual(want);
      else got.forEach((g, i) => expect(Math.abs(g - want[i]), `${name}[${i}]`).toBeLessThanOrEqual(1));
    }
  });

  it('linspace: steps 1 gives [start], 0 an empty tensor; the ends are exact', async () => {
    expect(await vals(sg.linspace(2.5, -7, 1))).toEqual([2.5]);
    expect(sg.linspace(0, 1, 0).shape).toEqual([0]);
    expect(await vals(sg.linspace(0.1, 0.7, 2))).toEqual([Math.fround(0.1), Math.fround(0.7)]);
  });

  it('arange with dtype i32 and fractional bounds follows torch (count from the bounds, values from the truncated start and step)', async () => {
    for (const name of Object.keys(fixture.cases).filter((n) => n.startsWith('arange_'))) {
      const { attrs, outputs } = C(name);
      const dtype = name.includes('i32') ? 'i32' : 'f32';
      const y = sg.arange(attrs.start as number, attrs.end as number, attrs.step as number, { dtype });
      expect(y.dtype).toBe(dtype);
      await expectTorch(y, outputs.y, `${name} arange(${attrs.start}, ${attrs.end}, ${attrs.step})`, 0, 1e-7);
    }
    expect(() => sg.arange(0, 2.5, 0.5, { dtype: 'i32' })).toThrow(/arange: step 0\.5 truncates to 0 for dtype 'i32'/);
  });

  it('eye: square, wide, tall, empty; i32 on request', async () => {
    const e = C('eye');
    await expectTorch(sg.eye(3), e.outputs.e3, 'eye(3)', 0, 0);
    await expectTorch(sg.eye(2, 4), e.outputs.e24, 'eye(2, 4)', 0, 0);
    await expectTorch(sg.eye(3, 1), e.outputs.e31, 'eye(3, 1)', 0, 0);
    expect(sg.eye(0).shape).toEqual([0, 0]);
    const ei = sg.eye(2, undefined, { dtype: 'i32' });
    expect([ei.dtype, await vals(ei)]).toEqual(['i32', [1, 0, 0, 1]]);
  });
});

describe('creation: full, *Like, shapes, dtypes', () => {
  it('full takes { dtype } (f32 by default), NaN and infinities; a shape may be one number', async () => {
    const a = sg.full([2, 2], 7);
    expect([a.dtype, await vals(a)]).toEqual(['f32', [7, 7, 7, 7]]);
    const b = sg.full(3, -4, { dtype: 'i32' });
    expect([b.dtype, b.shape, await vals(b)]).toEqual(['i32', [3], [-4, -4, -4]]);
    expect(await vals(sg.full([2], NaN))).toEqual([NaN, NaN]);
    expect(await vals(sg.full([1], -Infinity))).toEqual([-Infinity]);
    expect(sg.zeros(4).shape).toEqual([4]);
    expect(sg.ones([]).shape).toEqual([]);
  });

  it('zerosLike / onesLike / fullLike keep x\'s shape and dtype unless told', async () => {
    const xi = sg.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3], { dtype: 'i32' });
    const z = sg.zerosLike(xi);
    expect([z.dtype, z.shape, await vals(z)]).toEqual(['i32', [2, 3], [0, 0, 0, 0, 0, 0]]);
    const o = sg.onesLike(xi, { dtype: 'f32' });
    expect([o.dtype, await vals(o)]).toEqual(['f32', [1, 1, 1, 1, 1, 1]]);
    const f = sg.fullLike(sg.tensor([[1, 2]]), 0.25);
    expect([f.dtype, f.shape, await vals(f)]).toEqual(['f32', [1, 2], [0.25, 0.25]]);
  });

  it('sg.tensor reads nested arrays (typed without casts) and booleans', async () => {
    const t = sg.tensor([[1, 2, 3], [4, 5, 6]]);
    expect([t.shape, await vals(t)]).toEqual([[2, 3], [1, 2, 3, 4, 5, 6]]);
    const u = sg.tensor([[[true], [false]]]);
    expect([u.shape, await vals(u)]).toEqual([[1, 2, 1], [1, 0]]);
  });
});

describe('random creation and seeding', () => {
  it('rand: uniform on [0, 1) (f32-exact values, never 1), seeded by sg.manualSeed or its own seed', async () => {
    sg.manualSeed(11);
    const r1 = await vals(sg.rand([20000]));
    sg.manualSeed(11);
    const r2 = await vals(sg.rand([100, 200]));
    expect(r2).toEqual(r1);
    expect(Math.min(...r1)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...r1)).toBeLessThan(1);
    const mean = r1.reduce((s, v) => s + v, 0) / r1.length;
    const variance = r1.reduce((s, v) => s + (v - mean) ** 2, 0) / r1.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.003);
    // Deciles each hold about a tenth.
    const counts = new Array(10).fill(0);
    for (const v of r1) counts[Math.floor(v * 10)]++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
    expect(await vals(sg.rand([6], { seed: 5 }))).toEqual(await vals(sg.rand([6], { seed: 5 })));
    expect(await vals(sg.rand([6], { seed: 5 }))).not.toEqual(await vals(sg.rand([6], { seed: 6 })));
  });

  it('a seeded call leaves the global stream alone; unseeded calls advance it', async () => {
    sg.manualSeed(3);
    const a = await vals(sg.randn([4]));
    const b = await vals(sg.randn([4]));
    expect(a).not.toEqual(b);
    sg.manualSeed(3);
    sg.rand([50], { seed: 99 });
    expect(await vals(sg.randn([4]))).toEqual(a);
  });

  it('randint: [low, high) uniformly, both forms, i32 by default, f32 on request', async () => {
    sg.manualSeed(1);
    const r = sg.randint(-3, 4, [7000]);
    expect(r.dtype).toBe('i32');
    const v = await vals(r);
    const counts = new Map<number, number>();
    for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
    expect([...counts.keys()].sort((p, q) => p - q)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(130);
    const h = sg.randint(5, [3, 4], { seed: 2, dtype: 'f32' });
    expect([h.dtype, h.shape]).toEqual(['f32', [3, 4]]);
    for (const x of await vals(h)) expect(Number.isInteger(x) && x >= 0 && x < 5).toBe(true);
    expect(await vals(sg.randint(0, 1, [3]))).toEqual([0, 0, 0]);
  });

  it('randLike / randnLike take x\'s shape (f32 only, as torch)', async () => {
    const x = sg.zeros([3, 5]);
    expect(sg.randLike(x).shape).toEqual([3, 5]);
    expect(await vals(sg.randnLike(x, { seed: 4 }))).toEqual(await vals(sg.randn([3, 5], { seed: 4 })));
    expect(() => sg.randLike(sg.zeros([2], { dtype: 'i32' }))).toThrow(/randLike: x must be f32 .* got tensor .* \[2\] i32/);
  });
});

describe('creation errors name the function, the argument and what was expected', () => {
  it('linspace', () => {
    expect(() => sg.linspace(0, 1, -1)).toThrow("shadergrad: linspace: steps must be an integer ≥ 0 (the number of values, ends included), got -1");
    expect(() => sg.linspace(0, 1, 2.5)).toThrow(/linspace: steps must be an integer ≥ 0 .* got 2\.5/);
    expect(() => sg.linspace(0, 1, undefined as unknown as number)).toThrow(/linspace: steps must be an integer ≥ 0 .* got undefined/);
    expect(() => sg.linspace(NaN, 1, 3)).toThrow('shadergrad: linspace: start must be a finite number, got NaN');
    expect(() => sg.linspace(0, Infinity, 3)).toThrow('shadergrad: linspace: end must be a finite number, got Infinity');
    expect(() => sg.linspace(0, 1e39, 3)).toThrow(/linspace: start 0 and end 1e\+39 must fit in f32/);
    expect(() => sg.linspace(-3e38, 3e38, 3)).toThrow(/linspace: end − start .* overflows f32/);
    expect(() => sg.linspace(0, 1, 3, { dtype: 'f64' } as never)).toThrow(/linspace: dtype must be 'f32' or 'i32', got "f64"/);
    expect(() => sg.linspace(0, 1, 3, { dtyp: 'f32' } as never)).toThrow(/linspace: unknown option 'dtyp' \(did you mean 'dtype'\?\)/);
  });

  it('full, zeros, eye, arange', () => {
    expect(() => sg.full([2, -1], 0)).toThrow(/full: shape must be an array of integers ≥ 0 \(or one integer\), got \[2,-1\]/);
    expect(() => sg.zeros(2.5)).toThrow(/zeros: shape must be .* got 2\.5/);
    expect(() => sg.full([2], 1.5, { dtype: 'i32' })).toThrow("shadergrad: full: value 1.5 is not a 32-bit integer (dtype 'i32')");
    expect(() => sg.full([2], '1' as never)).toThrow(/full: value must be a number, got "1"/);
    expect(() => sg.full([2], 1, 'i32' as never)).toThrow(/full: pass the dtype in the options: \{ dtype: "i32" \}/);
    expect(() => sg.eye(-1)).toThrow(/eye: n must be an integer ≥ 0, got -1/);
    expect(() => sg.eye(2, 1.5)).toThrow(/eye: m must be an integer ≥ 0, got 1\.5/);
    expect(() => sg.arange(0, Infinity)).toThrow(/arange: end must be a finite number, got Infinity/);
    expect(() => sg.fullLike([1, 2] as never, 0)).toThrow(/fullLike: x must be a Tensor, got object/);
    expect(() => sg.triu(sg.eye(2, 2, { dtype: 'i32' }))).toThrow(/triu: x must be f32 .* got tensor .* \[2, 2\] i32/);
  });

  it('rand, randn, randint', () => {
    expect(() => sg.rand([2], { seed: NaN })).toThrow(/rand: seed must be a finite number, got NaN/);
    expect(() => sg.randn([2], { dtype: 'f32' } as never)).toThrow(/randn: unknown option 'dtype'/);
    expect(() => sg.randint(5, 5, [2])).toThrow('shadergrad: randint: low must be less than high, got low 5 and high 5');
    expect(() => sg.randint(0.5, 5, [2])).toThrow(/randint: low 0\.5 is not a 32-bit integer/);
    expect(() => sg.randint(0, 2 ** 32, [2])).toThrow(/randint: high 4294967296 must be an integer ≤ 2\^31/);
    expect(() => sg.randint(0, 5, 3 as never)).toThrow(/randint: shape must be an array of sizes, got 3 \(randint\(high, shape\) or randint\(low, high, shape\)\)/);
  });
});

describe('tensor methods', () => {
  it('a method chain and its gradients match torch: ((x.matmul(w).add(b).relu().mul(0.5).sub(x.mean())).pow(2).sum(1).mean()', async () => {
    const e = C('chain_mlp');
    const f = (x: Tensor, w: Tensor, b: Tensor) => x.matmul(w).add(b).relu().mul(0.5).sub(x.mean()).pow(2).sum(1).mean();
    const [x, w, b] = [f32(e.inputs.x), f32(e.inputs.w), f32(e.inputs.b)];
    await expectTorch(f(x, w, b), e.outputs.y, 'chain');
    const [gx, gw, gb] = sg.grad(f)(x, w, b);
    await expectTorch(gx, e.outputs.gx, 'd chain / dx');
    await expectTorch(gw, e.outputs.gw, 'd chain / dw');
    await expectTorch(gb, e.outputs.gb, 'd chain / db');
  });

  it('pointwise methods, softmax / logSoftmax along a dim, clamp and where, with the gradient', async () => {
    const e = C('chain_pointwise');
    const m = f32(e.inputs.m);
    const f = (z: Tensor) => z.logSoftmax(-1).exp().softmax(1).mul(z.abs().add(1).sqrt()).add(z.sigmoid()).sub(z.tanh().neg())
      .add(z.gelu({ approximate: 'tanh' })).clamp(-0.5, 2).where(m, z.div(3));
    const z = f32(e.inputs.z);
    await expectTorch(f(z), e.outputs.h, 'pointwise chain');
    const loss = (t: Tensor) => f(t).square().sum();
    await expectTorch(loss(z), e.outputs.loss, 'pointwise loss');
    await expectTorch(sg.grad(loss)(z)[0], e.outputs.gz, 'd pointwise loss / dz');
  });

  it('reductions (dim, a list of dims, keepdim), argmax/argmin, shapes, T and mT, comparisons', async () => {
    const e = C('reductions');
    const r = f32(e.inputs.r);
    const o = e.outputs;
    const cases: [Tensor, string][] = [
      [r.sum(), 'sum_all'], [r.sum(1, true), 'sum1k'], [r.sum([0, 2]), 'sum02'], [r.mean(-1), 'mean_neg1'],
      [r.max(1), 'amax1'], [r.min(), 'amin_all'], [r.argmax(), 'argmax_all'], [r.argmax(2, true), 'argmax2k'], [r.argmin(0), 'argmin0'],
      [r.T, 'T'], [r.mT, 'mT'], [r.permute(2, 0, 1), 'permute'], [r.permute([2, 0, 1]), 'permute'], [r.transpose(0, 2), 'transpose02'],
      [r.flatten(1), 'flatten1'], [r.view(4, -1), 'view'], [r.reshape([4, -1]), 'view'], [r.unsqueeze(-1), 'unsq'],
      [sg.narrow(r, 1, 0, 1).squeeze(1), 'sqz'], [r.maximum(r.T.permute(2, 1, 0).mul(0.5)), 'max_e'], [r.gt(0).eq(1), 'eq'],
      [r.ge(0.1), 'ge'], [r.gt(r.mean()), 'gt'],
    ];
    for (const [t, name] of cases) await expectTorch(t, o[name], `reductions ${name}`);
    expect(r.argmax().dtype).toBe('i32');
  });

  it('pow: a negative base with an integer exponent, a negative exponent, a tensor exponent', async () => {
    const e = C('pow');
    const p = f32(e.inputs.p);
    await expectTorch(p.pow(2), e.outputs.sq, 'p.pow(2)');
    await expectTorch(p.pow(3), e.outputs.cube, 'p.pow(3)');
    await expectTorch(p.abs().add(1).pow(-1), e.outputs.recip, 'pow(-1)');
    await expectTorch(p.abs().pow(sg.tensor([0.5, 1, 2, 3, 0.25])), e.outputs.tens, 'pow(tensor)');
  });

  it('each method records the same node as its functional op (same op, same shape)', () => {
    const x = sg.tensor([[1, -2, 3], [4, 5, -6]]);
    const pairs: [Tensor, Tensor][] = [
      [x.relu(), sg.relu(x)], [x.sum(0), sg.sum(x, 0)], [x.softmax(0), sg.softmax(x, 0)], [x.T, sg.transpose(x)],
      [x.matmul(x.T), sg.matmul(x, sg.transpose(x))], [x.minimum(0), sg.minimum(x, 0)], [x.reciprocal(), sg.reciprocal(x)],
      [x.sign(), sg.sign(x)], [x.clamp(null, 1), sg.clamp(x, null, 1)], [x.argmin(1), sg.argmin(x, 1)], [x.flatten(), sg.flatten(x)],
    ];
    for (const [m, f] of pairs) expect([m.op, m.shape, m.dtype]).toEqual([f.op, f.shape, f.dtype]);
    // T of a 0-d or 1-d tensor is the tensor itself (torch).
    const v = sg.tensor([1, 2]);
    expect(v.T).toBe(v);
  });

  it('are typed: x.sum() is a Tensor, the getters are read-only, reshape takes both forms', () => {
    const x = sg.zeros([2, 3]);
    expectTypeOf(x.sum()).toEqualTypeOf<Tensor>();
    expectTypeOf(x.matmul).parameters.toEqualTypeOf<[Tensor, sg.MatmulOptions?]>();
    expectTypeOf(x.T).toEqualTypeOf<Tensor>();
    expectTypeOf<sg.TensorMethods['softmax']>().toEqualTypeOf<(dim?: number) => Tensor>();
    expect(() => {
      // @ts-expect-error T is a read-only getter
      x.T = x;
    }).toThrow(/Cannot set property T .* only a getter/);
    // @ts-expect-error a method takes tensors or numbers, not strings
    expect(() => x.add('1')).toThrow("shadergrad: Tensor.add: other must be a Tensor or a number, got string");
    expect(sg.TENSOR_METHOD_NAMES).toContain('logSoftmax');
    expect(Object.keys(x)).not.toContain('sum'); // on the prototype, not enumerable
  });

  it('errors come from the functional op (named) or name the method', () => {
    const x = sg.tensor([[1, 2, 3], [4, 5, 6]], undefined, { name: 'x' });
    expect(() => x.reshape(4, 2)).toThrow(/reshape: tensor 'x' \[2, 3\] f32 has 6 elements; shape \[4, 2\] needs 8/);
    const loose = x as unknown as { view(...sizes: unknown[]): Tensor };
    expect(() => loose.view([2, 3], 1)).toThrow(/Tensor\.view: expects sizes as numbers or one array of numbers, got \(\[2,3\], 1\)/);
    expect(() => x.permute(0)).toThrow(/permute/);
    expect(() => x.sum(2)).toThrow(/sum: .*2/);
    expect(() => x.matmul(sg.zeros([2, 2]))).toThrow(/matmul/);
    expect(() => sg.tensor([1, 2]).mT).toThrow(/Tensor\.mT: tensor .* \[2\] f32 needs at least 2 dimensions/);
    expect(() => x.where(x.gt(2), 'a' as never)).toThrow(/Tensor\.where: other must be a Tensor or a number, got string/);
    x.dispose();
    expect(() => x.relu()).toThrow(/relu.*tensor 'x' \[2, 3\] f32 was disposed/);
  });
});
