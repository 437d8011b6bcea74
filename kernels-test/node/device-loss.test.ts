// Faults: a lost device purges the pool and caches, tensors of the old device are named, work issued
// before the loss fails with a message, tensors over the binding limit are refused when recorded.
import { afterAll, describe, expect, it } from 'vitest';
import * as sg from '../../src/index.js';

afterAll(() => sg.dispose());

describe('device loss', () => {
  it('after sg.device().destroy() and sg.init(), new work runs and old tensors are named', async () => {
    await sg.init({ quiet: true });
    const old = sg.tensor([1, 2, 3], [3], { name: 'old' });
    const pooled = sg.tensor(new Float32Array(64).fill(7), [64]);
    await sg.relu(old).data();
    sg.device().destroy();
    expect(() => sg.tensor([1], [1])).toThrow(sg.DeviceLostError);
    await sg.init({ quiet: true });
    pooled.dispose(); // a buffer of the lost device must never come back out of the pool
    for (let i = 0; i < 3; i++) {
      const x = sg.tensor(new Float32Array(64).fill(i + 1), [64]);
      const v = await sg.mul(x, 2).data();
      expect(Array.from(v).every((a) => a === 2 * (i + 1))).toBe(true);
    }
    expect(() => sg.relu(old)).toThrow(/relu input 0: tensor 'old' \[3\] f32 belongs to a GPU device that was lost/);
    await expect(old.data()).rejects.toThrow(sg.TensorUnusableError);
  });

  it('a read issued before the loss rejects with a message', async () => {
    await sg.init({ quiet: true });
    const x = sg.tensor([1, 2], [2]);
    const pending = sg.exp(sg.sigmoid(sg.tanh(x))).data();
    sg.device().destroy();
    await expect(pending).rejects.toThrow(/shadergrad: .+/);
    await sg.init({ quiet: true });
  });

  it('a tensor over maxStorageBufferBindingSize is refused when recorded, naming it', async () => {
    await sg.init({ quiet: true });
    const limit = sg.device().limits.maxStorageBufferBindingSize;
    const n = limit / 4 + 64; // one element past the limit needs no GPU memory: refused before allocation
    expect(() => sg.tensor(new Float32Array(n), [n], { name: 'big' })).toThrow(new RegExp(`tensor 'big'.*${n * 4} bytes.*maxStorageBufferBindingSize \\(${limit}`));
    const x = sg.tensor(new Float32Array(64), [64]);
    const m = Math.ceil(n / 64);
    expect(() => sg.expand(sg.reshape(x, [1, 64]), [m, 64])).toThrow(/output 0 of expand .* needs \d+ bytes, more than this device's maxStorageBufferBindingSize/);
  });
});
