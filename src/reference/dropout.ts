// CPU reference for dropout, float64. The random mask comes from Philox4x32-10 written here from its
// definition (Salmon et al., SC'11; Random123), the same specification shaders/dropout.wgsl states in
// its header:
//   element i, seed key (k0, k1), offset o:  c = o + i (64-bit),  bits = philox((c_lo, c_hi, 0, 0), key)[0]
//   keep(i) = bits >= floor(p · 2^32),  y = keep ? x / (1 − p) : 0.

import { type HostTensor, host } from './host.js';

const TWO_16 = 65536;
const TWO_32 = 4294967296;

/** [high, low] 32-bit words of the exact 64-bit product of two unsigned 32-bit integers. */
export function mulhilo(a: number, b: number): [number, number] {
  // a·b = a·bh·2^16 + a·bl with bh, bl the 16-bit halves of b; both partial products are below
  // 2^48, so they are exact in float64. Split t = a·bh = th·2^16 + tl, then
  // a·b = th·2^32 + (tl·2^16 + a·bl), and the bracket (< 2^49) is exact too.
  const bh = Math.floor(b / TWO_16);
  const bl = b % TWO_16;
  const t = a * bh;
  const th = Math.floor(t / TWO_16);
  const tl = t % TWO_16;
  const rest = tl * TWO_16 + a * bl;
  const hi = (th + Math.floor(rest / TWO_32)) % TWO_32;
  const lo = rest % TWO_32;
  return [hi, lo];
}

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** Philox4x32 with `rounds` rounds (10 is the standard): four 32-bit outputs for a counter and a key. */
export function philox4x32(counter: readonly number[], key: readonly number[], rounds = 10): number[] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let r = 0; r < rounds; r++) {
    if (r > 0) {
      k0 = (k0 + W0) % TWO_32;
      k1 = (k1 + W1) % TWO_32;
    }
    const [hi0, lo0] = mulhilo(M0, c0);
    const [hi1, lo1] = mulhilo(M1, c2);
    [c0, c1, c2, c3] = [(hi1 ^ c1 ^ k0) >>> 0, lo1, (hi0 ^ c3 ^ k1) >>> 0, lo0];
  }
  return [c0, c1, c2, c3];
}

/** The integer threshold below which an element is dropped: floor(p · 2^32). */
export function dropThreshold(p: number): number {
  return Math.floor(p * TWO_32);
}

/** Does element `i` survive, for a 64-bit seed given as its two words and a non-negative offset? */
export function keeps(i: number, seed: readonly [number, number], offset: number, threshold: number): boolean {
  const c = offset + i;
  const lo = c % TWO_32;
  const hi = Math.floor(c / TWO_32) % TWO_32;
  return philox4x32([lo, hi, 0, 0], seed)[0] >= threshold;
}

/** mask · v / (1 − p), elementwise: dropout's forward on x and its backward on dy (the mask is diagonal). */
function applyMask(v: HostTensor, seed: readonly [number, number], offset: number, p: number): HostTensor {
  const out = host(v.shape);
  const t = dropThreshold(p);
  const scale = 1 / (1 - p);
  for (let i = 0; i < v.data.length; i++) out.data[i] = keeps(i, seed, offset, t) ? v.data[i] * scale : 0;
  return out;
}

/** y = mask · x / (1 − p). */
export function dropoutForward(x: HostTensor, seed: readonly [number, number], offset: number, p: number): HostTensor {
  return applyMask(x, seed, offset, p);
}

/** dx = mask · dy / (1 − p), the mask regenerated from (seed, offset) rather than stored. */
export function dropoutBackward(dy: HostTensor, seed: readonly [number, number], offset: number, p: number): HostTensor {
  return applyMask(dy, seed, offset, p);
}

/** The two 32-bit key words of a seed tensor's values (stored as i32). */
export function seedWords(t: HostTensor): [number, number] {
  return [t.data[0] >>> 0, t.data[1] >>> 0];
}

export interface AugmentAttrs {
  shift: number;
  flip: number;
  noise: number;
}

/** The augmentation of shaders/dropout.wgsl (augment_forward), from the same definition, in float64. */
export function augmentForward(x: HostTensor, key: readonly [number, number], a: AugmentAttrs): HostTensor {
  const [N, C, H, W] = x.shape;
  const out = { data: new Float64Array(x.data.length), shape: [...x.shape] };
  const span = 2 * a.shift + 1;
  for (let n = 0; n < N; n++) {
    const s = philox4x32([n, 0, 1, 0], key);
    const dy = (s[0] % span) - a.shift;
    const dx = (s[1] % span) - a.shift;
    const flip = a.flip > 0 && Math.fround((s[2] >>> 8) / 16777216) < Math.fround(a.flip);
    for (let c = 0; c < C; c++) {
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) {
          const i = ((n * C + c) * H + h) * W + w;
          const sh = h - dy;
          const sw = (flip ? W - 1 - w : w) - dx;
          let v = sh >= 0 && sw >= 0 && sh < H && sw < W ? x.data[((n * C + c) * H + sh) * W + sw] : 0;
          if (a.noise > 0) {
            const r = philox4x32([i, 0, 2, 0], key);
            const u1 = ((r[0] >>> 8) + 0.5) / 16777216;
            const u2 = (r[1] >>> 8) / 16777216;
            v += a.noise * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
          }
          out.data[i] = v;
        }
      }
    }
  }
  return out;
}
