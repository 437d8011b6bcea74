import { execFileSync } from 'node:child_process';

// Regenerate src/gpu/wgsl.gen.ts from shaders/*.wgsl before any test imports the runtime.
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/embed-shaders.mjs'], { stdio: 'inherit' });
}
