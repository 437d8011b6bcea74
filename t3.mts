import * as sg from './src/index.ts';
import { pipeline } from './src/gpu/kernels.ts';
import { fillKernel } from './src/gpu/executor.ts';
await sg.init({poison:false, quiet: true});
try {
  console.log('pipeline...');
  const p = await pipeline(fillKernel);
  console.log('pipeline ok', p);
} catch (e) { console.log('ERR', e); }
sg.dispose();
