// Activations with a parameter or a special function: leakyRelu, elu, gelu (exact and tanh), softplus,
// silu — torch.nn.functional semantics. (relu, sigmoid and tanh are unary ops in elementwise.ts.)
// Each activation is three ops over one kernel file, shaders/activation.wgsl, with `OP` picking f:
//   <name>                  y  = f(x)
//   <name>Backward          dx = dy · f'(x)        the gradient of the forward
//   <name>SecondDerivative  g · f''(x)             the x-part of the gradient of the backward
// so gradients of gradients work. Reference: src/reference/activation.ts.
// Adding an activation: in shaders/activation.wgsl a constant ACT_<NAME> and its case in act_f, act_df
// and act_d2f; its entry in src/reference/activation.ts (ActKind, actRefs), which makes the ops here;
// its FLOPS line and public function below (exported by src/index.ts); a line of kernels-test/cases.

import { opCodes, wgslKernel } from '../gpu/kernels.js';
import { apply1, type Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/activation.js';
import type { ActKind, ActParams } from '../reference/activation.js';
import { defineOp, type OpDef } from './op.js';
import { type BufferRef, type EncodeCtx, type EncodeArgs } from '../gpu/dispatch.js';
import { numel, type Meta } from '../util/shape.js';
import { halfGrid, halfOverrides, halfWhereF32, mul } from './elementwise.js';
import { checkOptions, keysOf } from '../util/options.js';
import { sgError, ShapeError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const GELU_KEYS = keysOf<GeluOptions>({ approximate: 1 });
export const SOFTPLUS_KEYS = keysOf<SoftplusOptions>({ beta: 1, threshold: 1 });

export const activationKernels = {
  forward: wgslKernel('activation_forward'),
  backward: wgslKernel('activation_backward'),
  second: wgslKernel('activation_second_derivative'),
};

/** The `OP` code of each activation: the ACT_* constants of shaders/activation.wgsl (ACT_GELU_TANH → geluTanh). */
const CODES = opCodes('activation.wgsl', 'ACT', Object.keys(ref.actRefs) as ActKind[]);

/** Rough FLOPs per element of f (exp, erf and tanh count as several). */
const FLOPS: Record<ActKind, number> = { leakyRelu: 2, elu: 6, gelu: 30, geluTanh: 16, softplus: 12, silu: 8 };

type Stage = 'forward' | 'backward' | 'second';

interface Ops {
  forward: OpDef<ActParams>;
  backward: OpDef<ActParams>;
  second: OpDef<ActParams>;
}

function sameShapeF32(op: string, names: string[]) {
  return (ins: Meta[]): Meta[] => {
    ins.forEach((m, i) => {
      if (m.dtype !== 'f32') throw sgError(`${op}: ${names[i]} must be f32, got ${m.dtype}`, ShapeError);
      if (m.shape.join() !== ins[0].shape.join()) {
        throw sgError(`${op}: ${names[i]} [${m.shape}] must have the shape of ${names[0]} [${ins[0].shape}]`, ShapeError);
      }
    });
    return [{ shape: [...ins[0].shape], dtype: 'f32' }];
  };
}

function encodeStage(kind: ActKind, stage: Stage) {
  const kernel = activationKernels[stage];
  return (ctx: EncodeCtx, a: EncodeArgs<ActParams>) => {
    const n = numel(a.outMeta[0].shape);
    if (n === 0) return;
    const p = { n, alpha: a.attrs.alpha, beta: a.attrs.beta, threshold: a.attrs.threshold };
    const bind: Record<string, BufferRef> = stage === 'forward'
      ? { x: a.inputs[0], y: a.outputs[0] }
      : { x: a.inputs[0], dy: a.inputs[1], dx: a.outputs[0] };
    // Half storage: any of x, dy and the output may be f16 pairs (a half output: two values per thread).
    const half = halfOverrides(stage === 'forward' ? { inputs: ['X_HALF'], outputs: ['Y_HALF'] } : { inputs: ['X_HALF', 'DY_HALF'], outputs: ['DX_HALF'] }, a.half);
    ctx.dispatch(kernel, { bind, params: p, overrides: { OP: CODES[kind], ...half }, grid: halfGrid(n, a.half?.outputs[0], ctx.limits.maxWorkgroupsPerDim) });
  };
}

function defineActivation(kind: ActKind): Ops {
  // The x-part of the backward's gradient: g · f''(x). Its own gradient would need f''', which is not
  // provided: gradients stop at the second derivative.
  const second = defineOp<ActParams>({
    name: `${kind}SecondDerivative`,
    kernels: [activationKernels.second],
    infer: sameShapeF32(`${kind}SecondDerivative`, ['x', 'g']),
    half: halfWhereF32,
    encode: encodeStage(kind, 'second'),
    grad: { none: `third derivatives of ${kind} are not implemented (gradients go up to second order)` },
    reference: ([x, g], p) => [ref.activationSecondDerivative(kind, x, g, p)],
    referenceBackward: { none: `third derivatives of ${kind} are not implemented` },
    cost: ([x]) => ({ flops: (2 * FLOPS[kind] + 1) * numel(x.shape), bytes: 12 * numel(x.shape) }),
  });

  // dx = dy · f'(x).  Its gradient, for an incoming ddx:  ∂/∂x = ddx · dy · f''(x),  ∂/∂dy = ddx · f'(x).
  const backward: OpDef<ActParams> = defineOp<ActParams>({
    name: `${kind}Backward`,
    kernels: [activationKernels.backward],
    infer: sameShapeF32(`${kind}Backward`, ['x', 'dy']),
    half: halfWhereF32,
    encode: encodeStage(kind, 'backward'),
    grad: ({ inputs: [x, dy], dys: [ddx], attrs }) => {
      if (!ddx) return [null, null];
      return [apply1(second, [x, mul(dy, ddx)], attrs), apply1(backward, [x, ddx], attrs)];
    },
    reference: ([x, dy], p) => [ref.activationBackward(kind, x, dy, p)],
    referenceBackward: ({ inputs: [x, dy], dys: [ddx], attrs }) =>
      (ddx ? ref.activationBackwardBackward(kind, x, dy, ddx, attrs) : [null, null]),
    cost: ([x]) => ({ flops: (FLOPS[kind] + 2) * numel(x.shape), bytes: 12 * numel(x.shape) }),
  });

  const forward = defineOp<ActParams>({
    name: kind,
    kernels: [activationKernels.forward],
    infer: sameShapeF32(kind, ['x']),
    half: halfWhereF32,
    encode: encodeStage(kind, 'forward'),
    grad: ({ inputs: [x], dys: [dy], attrs }) => [dy ? apply1(backward, [x, dy], attrs) : null],
    reference: ([x], p) => [ref.activationForward(kind, x, p)],
    referenceBackward: ({ inputs: [x], dys: [dy], attrs }) => [dy ? ref.activationBackward(kind, x, dy, attrs) : null],
    cost: ([x]) => ({ flops: FLOPS[kind] * numel(x.shape), bytes: 8 * numel(x.shape) }),
  });
  return { forward, backward, second };
}

const ops = Object.fromEntries((Object.keys(CODES) as ActKind[]).map((k) => [k, defineActivation(k)])) as Record<ActKind, Ops>;

function checkInput(op: string, x: Tensor): void {
  if (x.dtype !== 'f32') throw sgError(`${op}: x must be f32, got ${x.describe()}`, ShapeError);
}

function checkNumber(op: string, name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw sgError(`${op}: ${name} must be a finite number, got ${String(v)}`);
}

function activate(kind: ActKind, x: Tensor, p: Partial<ActParams> = {}): Tensor {
  return apply1(ops[kind].forward, [x], { alpha: p.alpha ?? 0, beta: p.beta ?? 1, threshold: p.threshold ?? 0 });
}

/** x where x > 0, else negativeSlope · x (torch.nn.functional.leaky_relu). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  checkInput('leakyRelu', x);
  checkNumber('leakyRelu', 'negativeSlope', negativeSlope);
  return activate('leakyRelu', x, { alpha: negativeSlope });
}

/** x where x > 0, else alpha · (eˣ − 1) (torch.nn.functional.elu). */
export function elu(x: Tensor, alpha = 1): Tensor {
  checkInput('elu', x);
  checkNumber('elu', 'alpha', alpha);
  return activate('elu', x, { alpha });
}

export interface GeluOptions {
  /** 'none' (default): x·Φ(x) with the exact normal CDF; 'tanh': the tanh approximation. */
  approximate?: 'none' | 'tanh';
}

/** x · Φ(x), Φ the standard normal CDF (torch.nn.functional.gelu). */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  checkInput('gelu', x);
  checkOptions('gelu', options, GELU_KEYS);
  const approximate = options.approximate ?? 'none';
  if (approximate !== 'none' && approximate !== 'tanh') {
    throw sgError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  }
  return activate(approximate === 'tanh' ? 'geluTanh' : 'gelu', x);
}

export interface SoftplusOptions {
  /** Default 1. */
  beta?: number;
  /** Where βx > threshold the result is x itself (default 20). */
  threshold?: number;
}

/** log(1 + e^(βx)) / β, reverting to x where βx > threshold (torch.nn.functional.softplus). */
export function softplus(x: Tensor, options: SoftplusOptions = {}): Tensor {
  checkInput('softplus', x);
  checkOptions('softplus', options, SOFTPLUS_KEYS);
  const beta = options.beta ?? 1;
  const threshold = options.threshold ?? 20;
  checkNumber('softplus', 'beta', beta);
  checkNumber('softplus', 'threshold', threshold);
  if (beta === 0) throw sgError('softplus: beta must not be 0 (the result divides by beta)');
  return activate('softplus', x, { beta, threshold });
}

/** x · σ(x), also called swish (torch.nn.functional.silu). */
export function silu(x: Tensor): Tensor {
  checkInput('silu', x);
  return activate('silu', x);
}
