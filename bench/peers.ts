// The peers, loaded in the same process on the same adapter: TensorFlow.js with its WebGPU backend
// and jax-js with its WebGPU device. In Node, one Dawn GPU instance is shared through
// globalThis.navigator.gpu (both peers look there, jax-js also reads navigator.userAgent).

export interface Peers {
  tf?: typeof import('@tensorflow/tfjs');
  jax?: typeof import('@jax-js/jax');
  notes: string[];
}

/** Make navigator.gpu available in Node (one Dawn instance for shadergrad and the peers). */
export async function shareNodeGpu(): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown; userAgent?: string } };
  if (g.navigator?.gpu) return;
  const name = 'webgpu';
  const { create, globals } = await import(/* @vite-ignore */ name);
  const fs = await import('node:fs');
  const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
  Object.assign(globalThis, globals);
  let gpu = create([]);
  if (!(await gpu.requestAdapter()) && !process.env.VK_ICD_FILENAMES && fs.existsSync(icd)) {
    process.env.VK_ICD_FILENAMES = icd;
    gpu = create([]);
  }
  Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js ${process.version}` }, configurable: true });
}

export async function loadPeers(only?: string[]): Promise<Peers> {
  const notes: string[] = [];
  const peers: Peers = { notes };
  if (!only || only.includes('tfjs')) {
    try {
      const tf = await import('@tensorflow/tfjs');
      await import('@tensorflow/tfjs-backend-webgpu');
      if (!(await tf.setBackend('webgpu'))) throw new Error('setBackend(webgpu) returned false');
      await tf.ready();
      peers.tf = tf;
    } catch (e) {
      notes.push(`tfjs-webgpu unavailable: ${(e as Error).message}`);
    }
  }
  if (!only || only.includes('jax')) {
    try {
      const jax = await import('@jax-js/jax');
      const devices = await jax.init();
      if (!devices.includes('webgpu')) throw new Error(`no webgpu device (have ${devices.join(', ')})`);
      jax.defaultDevice('webgpu');
      peers.jax = jax;
    } catch (e) {
      notes.push(`jax-js webgpu unavailable: ${(e as Error).message}`);
    }
  }
  return peers;
}
