// The runtime around the kernels: init/dispose, clear errors for bad input, WGSL compile and
// validation errors naming the kernel, device loss, the buffer pool's reuse rule and stats().
import { afterAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';
import { gpu } from '../../src/gpu/device.js';
import { pipeline, type KernelDef } from '../../src/gpu/kernels.js';
import { WGSL } from '../../src/gpu/wgsl.gen.js';
import {
  acquireBuffer, releaseBuffer, retireTicket, sizeClass, takeTicket,
} from '../../src/memory/pool.js';

afterAll(() => sg.dispose());

describe('before init', () => {
  it('ops before init() say to call init', () => {
    expect(() => sg.tensor([1, 2], [2])).toThrow(/call `await sg.init\(\)`/);
  });
});

describe('runtime', () => {
  it('init reports the adapter and its features', async () => {
    const info = await sg.init();
    expect(info.runtime).toBe('node');
    expect(info.vendor.length).toBeGreaterThan(0);
    expect(info.limits.maxComputeWorkgroupStorageSize).toBeGreaterThanOrEqual(16384);
    expect(Array.isArray(info.features)).toBe(true);
  });

  it('rejects data that does not fill the shape, naming the tensor', () => {
    expect(() => sg.tensor([1, 2, 3], [2, 2], { name: 'w' })).toThrow(/tensor 'w': 3 values do not fill shape \[2, 2\] \(needs 4\)/);
  });

  it('rejects non-integer and non-finite sizes', () => {
    expect(() => sg.tensor([1, 2], [2.5])).toThrow(/not a non-negative integer/);
    expect(() => sg.tensor([1], [NaN])).toThrow(/not a non-negative integer/);
    expect(() => sg.tensor([1], [Infinity])).toThrow(/not a non-negative integer/);
    expect(() => sg.tensor([1], [-1])).toThrow(/not a non-negative integer/);
  });

  it('rejects non-integers in i32 tensors', () => {
    expect(() => sg.tensor([1.5], [1], { dtype: 'i32' })).toThrow(/not a 32-bit integer/);
  });

  it('names both shapes when a broadcast fails', () => {
    const a = sg.tensor(new Float32Array(6), [2, 3], { name: 'a' });
    const b = sg.tensor(new Float32Array(4), [4], { name: 'b' });
    expect(() => sg.add(a, b)).toThrow(/add: cannot broadcast a \[2, 3\] with b \[4\]/);
  });

  it('names the inner dimensions when matmul shapes do not fit', () => {
    const a = sg.tensor(new Float32Array(6), [2, 3]);
    const b = sg.tensor(new Float32Array(8), [4, 2]);
    expect(() => sg.matmul(a, b)).toThrow(/matmul: inner dimensions differ: a \[2, 3\] has K = 3, b \[4, 2\] has K = 4/);
  });

  it('rejects bad axes and reshapes', () => {
    const x = sg.tensor(new Float32Array(6), [2, 3]);
    expect(() => sg.sum(x, 2)).toThrow(/axis 2 is out of range for a tensor of rank 2/);
    expect(() => sg.reshape(x, [4, 2])).toThrow(/has 6 elements; shape \[4, 2\] needs 8/);
    expect(() => sg.permute(x, [0, 0])).toThrow(/not a permutation/);
  });

  it('rejects a disposed tensor by name', () => {
    const x = sg.tensor([1, 2], [2], { name: 'gone' });
    x.dispose();
    expect(() => sg.relu(x)).toThrow(/'gone' \[2\] f32 was disposed/);
  });

  it('runs a whole pending graph in one submit', async () => {
    const x = sg.tensor([1, -2, 3, -4], [2, 2]);
    const before = sg.stats();
    const y = sg.sum(sg.mul(sg.relu(x), sg.exp(x)), 1);
    const v = await y.data();
    const after = sg.stats();
    expect(after.submits - before.submits).toBe(1);
    expect(after.dispatches - before.dispatches).toBeGreaterThanOrEqual(4);
    expect(Array.from(v).map((t) => Number(t.toFixed(4)))).toEqual([Number(Math.E.toFixed(4)), Number((3 * Math.exp(3)).toFixed(4))]);
  });

  it('reuses a released buffer only after the submit that last used it', () => {
    const bytes = 4096;
    const a = acquireBuffer(bytes);
    takeTicket(); // a submission is queued: `a` may be bound in its commands
    releaseBuffer(a);
    const b = acquireBuffer(bytes); // that submission has not gone yet: must not get `a` back
    expect(b).not.toBe(a);
    retireTicket();
    const c = acquireBuffer(bytes); // after it was submitted: `a` is free again
    expect(c).toBe(a);
    releaseBuffer(b);
    releaseBuffer(c);
  });

  it('pools tensors of the same size class across steps', async () => {
    const run = async () => {
      const x = sg.tensor(new Float32Array(1000).fill(1), [1000]);
      const y = sg.relu(x);
      await y.data();
      x.dispose();
      y.dispose();
    };
    await run();
    const before = sg.stats().buffersCreated;
    await run();
    await run();
    expect(sg.stats().buffersCreated).toBe(before);
    expect(sizeClass(1000 * 4)).toBeLessThan(1.26 * 4000);
  });

  it('tracks allocated and peak bytes', () => {
    const s = sg.stats();
    expect(s.bytesAllocated).toBeGreaterThan(0);
    expect(s.peakBytes).toBeGreaterThanOrEqual(s.bytesAllocated);
  });

  it('reports WGSL compile errors with the file and kernel', async () => {
    (WGSL as Record<string, string>)['__broken.wgsl'] = '@compute @workgroup_size(1) fn broken_forward() { let x: u32 = 1.5; }';
    const k: KernelDef = { name: 'broken_forward', file: '__broken.wgsl', entry: 'broken_forward', bindings: [], workgroupSize: [1, 1, 1] };
    await expect(pipeline(k)).rejects.toThrow(/WGSL compile error in shaders\/__broken\.wgsl:\n\s+shaders\/__broken\.wgsl:1:\d+/);
  });

  it('reports a missing entry point with the kernel name', async () => {
    const k: KernelDef = { name: 'no_such_entry', file: 'fill.wgsl', entry: 'no_such_entry', bindings: [], workgroupSize: [1, 1, 1] };
    await expect(pipeline(k)).rejects.toThrow(/kernel no_such_entry \(shaders\/fill\.wgsl, entry no_such_entry\)/);
  });

  it('differentiates cross-entropy twice (its backward has a gradient now) and a comparison as zero', () => {
    const logits = sg.tensor([0.1, 0.5, -0.3, 0.2, 0.9, -1], [2, 3], { name: 'logits' });
    const target = sg.tensor([0, 2], [2], { dtype: 'i32' });
    // d/dlogits of |∂CE/∂logits|² needs the second derivative of the fused cross-entropy.
    const secondOrder = (z: sg.Tensor) => sg.sum(sg.square(sg.grad((l: sg.Tensor) => sg.crossEntropy(l, target))(z)[0]));
    expect(sg.grad(secondOrder)(logits)[0].shape).toEqual([2, 3]);
    // A comparison has a zero gradient almost everywhere: that is not an error.
    const [g] = sg.grad((z: sg.Tensor) => sg.sum(sg.mul(sg.gt(z, 0), z)))(logits);
    expect(g.shape).toEqual([2, 3]);
  });

  it('gives a clear error after device loss, and init() recovers', async () => {
    gpu().device.destroy();
    await new Promise((r) => setTimeout(r, 50));
    expect(() => sg.tensor([1], [1])).toThrow(/device was lost/);
    await sg.init();
    const v = await sg.neg(sg.tensor([2], [1])).data();
    expect(v[0]).toBe(-2);
  });

  it('dispose() then init() gives a working device', async () => {
    sg.dispose();
    expect(() => sg.tensor([1], [1])).toThrow(/init/);
    await sg.init();
    expect(Array.from(await sg.add(sg.tensor([1], [1]), 2).data())).toEqual([3]);
  });
});
