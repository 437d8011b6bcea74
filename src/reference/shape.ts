// CPU references for shape ops, float64.

import { type HostTensor, host, strides, unravel } from './host.js';

/** y[i_0..i_n] = x[i_perm^-1...]: output dimension d is input dimension perm[d]. */
export function permuteForward(x: HostTensor, perm: number[]): HostTensor {
  const shape = perm.map((p) => x.shape[p]);
  const st = strides(x.shape);
  const y = host(shape);
  for (let i = 0; i < y.data.length; i++) {
    const idx = unravel(i, shape);
    let src = 0;
    for (let d = 0; d < perm.length; d++) src += idx[d] * st[perm[d]];
    y.data[i] = x.data[src];
  }
  return y;
}

export function inversePermutation(perm: number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, d) => (inv[p] = d));
  return inv;
}

export function reshapeForward(x: HostTensor, shape: number[]): HostTensor {
  return { data: x.data.slice(), shape: [...shape] };
}
