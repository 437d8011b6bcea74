// layerNorm (torch.nn.functional.layer_norm): normalise over the trailing `normalizedShape` dims with the
// biased variance, then an optional elementwise weight and bias. Kernels: shaders/layernorm.wgsl.
// The forward op has three outputs, [y, mean, rstd] (llm.c's layernorm_forward): mean and rstd are
// what the backward op reads. The backward op has outputs [dx, dweight?, dbias?]; its own gradient is
// written in ops, so gradients of gradients work. Reference: src/reference/layernorm.ts.
// Kernel choice: the forward and dx run one workgroup per row, or one thread per row (the _rows
// kernels: no workgroup memory, no barrier) by the 'layerNormRows' rule of src/ops/kernel-rules.ts,
// or one workgroup per row reduced with subgroup operations (shaders/layernorm_subgroup.wgsl: the
// 'subgroup' version, set by setRowVersion where the device has `subgroups`);
// dweight / dbias take the 32×8 column workgroups, or one thread per column
// (layernorm_backward_params_cols) by its 'layerNormColumns' rule. Half storage (OpDef.half): every
// kernel reads f16 x and dy and writes f16 y and dx where rows own whole words; the statistics, mean,
// rstd, weight, bias and their gradients stay f32.

import { wgslKernel } from '../gpu/kernels.js';
import { halfOverrides, halfRowsOwnWords, rowVersion, ROW_THREADS } from './kernel-rules.js';
import { apply, type Tensor } from '../tensor/tensor.js';
import * as ref from '../reference/layernorm.js';
import { defineOp } from './op.js';
import { fmtShape, numel, type Meta, sameShape } from '../util/shape.js';
import { grid1d, type EncodeCtx } from '../gpu/dispatch.js';
import type { HostTensor } from '../reference/host.js';
import { add, expand, mul, neg, scale, sub } from './elementwise.js';
import { mean as meanOf, sum } from './reduce.js';
import { reshape } from './shape-ops.js';
import { sgError, ShapeError } from '../util/errors.js';

export const layerNormKernels = {
  /** One workgroup per row. */
  forward: wgslKernel('layernorm_forward'),
  backward: wgslKernel('layernorm_backward'),
  /** One thread per row. */
  forwardRows: wgslKernel('layernorm_forward_rows'),
  backwardRows: wgslKernel('layernorm_backward_rows'),
  /** One workgroup per row, subgroup reductions (shaders/layernorm_subgroup.wgsl). */
  forwardSubgroup: wgslKernel('layernorm_forward_subgroup'),
  backwardSubgroup: wgslKernel('layernorm_backward_subgroup'),
  /** 32 columns × 8 row lanes per workgroup; one thread per column. */
  backwardParams: wgslKernel('layernorm_backward_params'),
  backwardParamsCols: wgslKernel('layernorm_backward_params_cols'),
};

interface LayerNormAttrs {
  normalizedShape: number[];
  eps: number;
  hasWeight: boolean;
  hasBias: boolean;
}

type BackwardAttrs = Omit<LayerNormAttrs, 'eps'>;

/** rows × C, with C = the product of normalizedShape. */
function dims(xShape: number[], normalizedShape: number[]) {
  const C = numel(normalizedShape);
  const lead = xShape.slice(0, xShape.length - normalizedShape.length);
  return { C, rows: numel(lead), lead };
}

/** Grid of one workgroup (perThread: one thread) per item, folded into 2-D past the per-dimension limit. */
function rowGrid(n: number, ctx: EncodeCtx, perThread = false): [number, number] {
  return grid1d(n, perThread ? ROW_THREADS : 1, ctx.limits.maxWorkgroupsPerDim);
}

/** The row kernels of each version of the 'layerNormRows' rule. */
const forwardKernels = { thread: layerNormKernels.forwardRows, tree: layerNormKernels.forward, subgroup: layerNormKernels.forwardSubgroup };
const backwardKernels = { thread: layerNormKernels.backwardRows, tree: layerNormKernels.backward, subgroup: layerNormKernels.backwardSubgroup };

/**
 * f16 storage (every version): x and dy readable; y and dx writable where each row owns whole words
 * (C even, or one row); mean, rstd, the parameters and their gradients stay f32.
 */
function rowsOwnWords(xShape: number[], normalizedShape: number[]): boolean {
  const { C, rows } = dims(xShape, normalizedShape);
  return halfRowsOwnWords({ outer: rows, R: C, inner: 1 });
}

const addOpt = (a: Tensor | null, b: Tensor | null): Tensor | null => (a && b ? add(a, b) : (a ?? b));

// ---- backward op: (x, mean, rstd, dy, weight?) -> (dx, dweight?, dbias?) -------------------------

const layerNormBackwardOp = defineOp<BackwardAttrs>({
  name: 'layerNormBackward',
  kernels: [...Object.values(backwardKernels), layerNormKernels.backwardParams, layerNormKernels.backwardParamsCols],
  infer: ([x, , , dy], { normalizedShape, hasWeight, hasBias }) => {
    if (!sameShape(x.shape, dy.shape)) {
      throw sgError(`layerNormBackward: dy ${fmtShape(dy.shape)} must have the shape of x ${fmtShape(x.shape)}`, ShapeError);
    }
    const outs: Meta[] = [{ shape: [...x.shape], dtype: 'f32' }];
    if (hasWeight) outs.push({ shape: [...normalizedShape], dtype: 'f32' });
    if (hasBias) outs.push({ shape: [...normalizedShape], dtype: 'f32' });
    return outs;
  },
  half: (ins, outs, { normalizedShape }) => ({
    reads: ins.map((_, k) => k === 0 || k === 3), writes: outs.map((_, k) => k === 0 && rowsOwnWords(ins[0].shape, normalizedShape)),
  }),
  encode: (ctx, { inputs, outputs, inMeta, attrs: { normalizedShape, hasWeight, hasBias }, half }) => {
    const { C, rows } = dims(inMeta[0].shape, normalizedShape);
    if (C === 0) return;
    const [x, mean, rstd, dy] = inputs;
    const reads = halfOverrides({ X_HALF: half?.inputs[0], DY_HALF: half?.inputs[3] });
    if (rows > 0) {
      const version = rowVersion('layerNormRows', C, rows);
      ctx.dispatch(backwardKernels[version], {
        bind: { x, saved_mean: mean, saved_rstd: rstd, dy, weight: hasWeight ? inputs[4] : x, dx: outputs[0] },
        params: { rows, C }, overrides: { HAS_WEIGHT: hasWeight ? 1 : 0, ...reads, ...halfOverrides({ DX_HALF: half?.outputs[0] }) },
        grid: rowGrid(rows, ctx, version === 'thread'),
      });
    }
    if (hasWeight || hasBias) {
      // Both sums come from one pass; the one nobody asked for goes to a scratch buffer.
      const dweight = hasWeight ? outputs[1] : ctx.scratch(C * 4);
      const dbias = hasBias ? outputs[hasWeight ? 2 : 1] : ctx.scratch(C * 4);
      const perColumn = rowVersion('layerNormColumns', rows, C) === 'thread';
      ctx.dispatch(perColumn ? layerNormKernels.backwardParamsCols : layerNormKernels.backwardParams, {
        bind: { x, saved_mean: mean, saved_rstd: rstd, dy, dweight, dbias },
        params: { rows, C }, overrides: reads, grid: perColumn ? rowGrid(C, ctx, true) : rowGrid(Math.ceil(C / 32), ctx),
      });
    }
  },
  // The backward as a function of (x, mean, rstd, dy, w): xhat = (x − mean)·rstd, g = dy·w,
  // dx = rstd(g − mean(g) − xhat·mean(g·xhat)), dweight = Σ_rows dy·xhat, dbias = Σ_rows dy.
  // For incoming ddx, ddweight, ddbias, per row (q = ddx·rstd, P = Σ q·xhat, a = mean g, b = mean g·xhat):
  //   G = ∂L/∂g = q − mean(q) − xhat·P/C,   H = ∂L/∂xhat = −b·q − g·P/C + ddweight·dy
  //   ∂/∂dy = G·w + ddweight·xhat + ddbias   ∂/∂w = Σ_rows G·dy   ∂/∂x = H·rstd
  //   ∂/∂mean = −rstd·ΣH                      ∂/∂rstd = Σ ddx·(g − a − xhat·b) + ΣH·(x − mean)
  grad: ({ inputs, dys, attrs: { normalizedShape, hasWeight, hasBias } }) => {
    const [x, mean, rstd, dy] = inputs;
    const weight = hasWeight ? inputs[4] : null;
    const ddx = dys[0];
    const ddw = hasWeight ? dys[1] : null;
    const ddb = hasBias ? dys[hasWeight ? 2 : 1] : null;
    const { C, rows } = dims(x.shape, normalizedShape);
    const x2 = reshape(x, [rows, C]);
    const dy2 = reshape(dy, [rows, C]);
    const m2 = reshape(mean, [rows, 1]);
    const r2 = reshape(rstd, [rows, 1]);
    const w1 = weight && reshape(weight, [C]);
    const xc = sub(x2, m2);
    const xhat = mul(xc, r2);
    const g = w1 ? mul(dy2, w1) : dy2;

    let G: Tensor | null = null;
    let H: Tensor | null = null;
    let E: Tensor | null = null;
    if (ddx) {
      const ddx2 = reshape(ddx, [rows, C]);
      const q = mul(ddx2, r2);
      const Pc = scale(sum(mul(q, xhat), 1, true), 1 / C);
      const a = meanOf(g, 1, true);
      const b = meanOf(mul(g, xhat), 1, true);
      G = sub(sub(q, meanOf(q, 1, true)), mul(xhat, Pc));
      H = neg(add(mul(q, b), mul(g, Pc)));
      E = sum(mul(ddx2, sub(sub(g, a), mul(xhat, b))), 1, true);
    }
    if (ddw) H = addOpt(H, mul(dy2, reshape(ddw, [C])));

    let gdy = G && (w1 ? mul(G, w1) : G);
    if (ddw) gdy = addOpt(gdy, mul(xhat, reshape(ddw, [C])));
    if (ddb) gdy = addOpt(gdy, expand(reshape(ddb, [C]), [rows, C]));
    const gw = G && weight ? reshape(sum(mul(G, dy2), 0), weight.shape) : null;
    const gx = H && mul(H, r2);
    const gmean = H && neg(mul(r2, sum(H, 1, true)));
    const grstd = addOpt(E, H && sum(mul(H, xc), 1, true));

    const back = (t: Tensor | null, like: Tensor) => t && reshape(t, like.shape);
    const grads = [back(gx, x), back(gmean, mean), back(grstd, rstd), back(gdy, dy)];
    if (weight) grads.push(gw);
    return grads;
  },
  reference: (ins, { normalizedShape, hasWeight, hasBias }) => {
    const [x, mean, rstd, dy] = ins;
    const { dx, dweight, dbias } = ref.layerNormBackward(x, mean, rstd, dy, hasWeight ? ins[4] : null, numel(normalizedShape));
    const outs = [dx];
    if (hasWeight) outs.push({ data: dweight.data, shape: [...normalizedShape] });
    if (hasBias) outs.push({ data: dbias.data, shape: [...normalizedShape] });
    return outs;
  },
  referenceBackward: ({ inputs, dys, attrs: { normalizedShape, hasWeight, hasBias } }) => {
    const [x, mean, rstd, dy] = inputs;
    const weight = hasWeight ? inputs[4] : null;
    const ddw = hasWeight ? dys[1] : null;
    const ddb = hasBias ? dys[hasWeight ? 2 : 1] : null;
    const r = ref.layerNormBackwardBackward(x, mean, rstd, dy, weight, numel(normalizedShape), dys[0], ddw, ddb);
    const grads: (HostTensor | null)[] = [r.dx, r.dmean, r.drstd, r.ddy];
    if (weight) grads.push({ data: r.dweight.data, shape: [...weight.shape] });
    return grads;
  },
  cost: ([x], outs) => ({ flops: 10 * numel(x.shape), bytes: 4 * (4 * numel(x.shape) + outs.slice(1).reduce((n, m) => n + numel(m.shape), 0)) }),
});

// ---- forward op: (x, weight?, bias?) -> (y, mean, rstd) ------------------------------------------

const layerNormOp = defineOp<LayerNormAttrs>({
  name: 'layerNorm',
  kernels: Object.values(forwardKernels),
  infer: ([x], { normalizedShape }) => {
    const k = normalizedShape.length;
    if (x.dtype !== 'f32') throw sgError(`layerNorm: x must be f32, got ${x.dtype}`, ShapeError);
    if (k === 0 || k > x.shape.length || !sameShape(x.shape.slice(x.shape.length - k), normalizedShape)) {
      throw sgError(`layerNorm: normalizedShape ${fmtShape(normalizedShape)} must be the trailing dimensions of x ${fmtShape(x.shape)}`, ShapeError);
    }
    const { lead } = dims(x.shape, normalizedShape);
    return [{ shape: [...x.shape], dtype: 'f32' }, { shape: lead, dtype: 'f32' }, { shape: [...lead], dtype: 'f32' }];
  },
  half: ([x, ...params], _outs, { normalizedShape }) => ({
    reads: [true, ...params.map(() => false)], writes: [rowsOwnWords(x.shape, normalizedShape), false, false],
  }),
  encode: (ctx, { inputs, outputs, inMeta, attrs: { normalizedShape, eps, hasWeight, hasBias }, half }) => {
    const { C, rows } = dims(inMeta[0].shape, normalizedShape);
    if (rows === 0) return;
    const x = inputs[0];
    const version = rowVersion('layerNormRows', C, rows);
    ctx.dispatch(forwardKernels[version], {
      bind: {
        x, mean: outputs[1], rstd: outputs[2], y: outputs[0],
        // Absent weight / bias: the input is bound in their place and never read (HAS_* = 0).
        weight: hasWeight ? inputs[1] : x, bias: hasBias ? inputs[hasWeight ? 2 : 1] : x,
      },
      params: { rows, C, eps },
      overrides: { HAS_WEIGHT: hasWeight ? 1 : 0, HAS_BIAS: hasBias ? 1 : 0, ...halfOverrides({ X_HALF: half?.inputs[0], Y_HALF: half?.outputs[0] }) },
      grid: rowGrid(rows, ctx, version === 'thread'),
    });
  },
  // dy reaches x, weight, bias through the backward op. mean and rstd are outputs too (the backward
  // op reads them, so gradients of gradients reach them): ∂mean/∂x_j = 1/C and
  // ∂rstd/∂x_j = −rstd³·(x_j − mean)/C.
  grad: ({ inputs, outputs: [, mean, rstd], dys: [dy, dmean, drstd], attrs: { normalizedShape, hasWeight, hasBias } }) => {
    const x = inputs[0];
    let dx: Tensor | null = null;
    let dw: Tensor | null = null;
    let db: Tensor | null = null;
    if (dy) {
      const outs = apply(layerNormBackwardOp, hasWeight ? [x, mean, rstd, dy, inputs[1]] : [x, mean, rstd, dy],
        { normalizedShape, hasWeight, hasBias });
      dx = outs[0];
      if (hasWeight) dw = outs[1];
      if (hasBias) db = outs[hasWeight ? 2 : 1];
    }
    if (dmean || drstd) {
      const { C, rows } = dims(x.shape, normalizedShape);
      let extra: Tensor | null = dmean && expand(scale(reshape(dmean, [rows, 1]), 1 / C), [rows, C]);
      if (drstd) {
        const r2 = reshape(rstd, [rows, 1]);
        const coef = scale(mul(reshape(drstd, [rows, 1]), mul(r2, mul(r2, r2))), -1 / C);
        extra = addOpt(extra, mul(sub(reshape(x, [rows, C]), reshape(mean, [rows, 1])), coef));
      }
      dx = addOpt(dx, reshape(extra!, x.shape));
    }
    const grads = [dx];
    if (hasWeight) grads.push(dw);
    if (hasBias) grads.push(db);
    return grads;
  },
  reference: (ins, { normalizedShape, eps, hasWeight, hasBias }) => {
    const x = ins[0];
    const { C, lead } = dims(x.shape, normalizedShape);
    return ref.layerNormForward(x, C, hasWeight ? ins[1] : null, hasBias ? ins[hasWeight ? 2 : 1] : null, eps, lead);
  },
  referenceBackward: ({ inputs, outputs: [, mean, rstd], dys: [dy, dmean, drstd], attrs: { normalizedShape, hasWeight, hasBias } }) => {
    const x = inputs[0];
    const C = numel(normalizedShape);
    const r = dy
      ? ref.layerNormBackward(x, mean, rstd, dy, hasWeight ? inputs[1] : null, C)
      : { dx: { data: new Float64Array(x.data.length), shape: [...x.shape] }, dweight: null, dbias: null };
    if (dmean || drstd) ref.layerNormStatsBackward(x, mean, rstd, dmean, drstd, C, r.dx);
    const grads: (HostTensor | null)[] = [r.dx];
    if (hasWeight) grads.push(r.dweight && { data: r.dweight.data, shape: [...normalizedShape] });
    if (hasBias) grads.push(r.dbias && { data: r.dbias.data, shape: [...normalizedShape] });
    return grads;
  },
  cost: ([x]) => ({ flops: 8 * numel(x.shape), bytes: 4 * 2 * numel(x.shape) }),
});

/**
 * Layer normalisation over the trailing dims `normalizedShape` (torch.nn.functional.layer_norm):
 * (x − mean) / √(var + eps) · weight + bias, with the biased variance. weight and bias, when given,
 * have shape `normalizedShape`.
 */
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  if (x.dtype !== 'f32') throw sgError(`layerNorm: x must be f32, got ${x.describe()}`, ShapeError);
  if (!Array.isArray(normalizedShape) || normalizedShape.length === 0 ||
      normalizedShape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw sgError(`layerNorm: normalizedShape must be a non-empty list of sizes, got ${JSON.stringify(normalizedShape)}`);
  }
  const k = normalizedShape.length;
  const trailing = x.shape.slice(Math.max(0, x.rank - k));
  if (k > x.rank || !sameShape(trailing, normalizedShape)) {
    throw sgError(`layerNorm: normalizedShape ${fmtShape(normalizedShape)} does not match the trailing ` +
      `dimensions of x, ${x.describe()} (its last ${k} dimension${k > 1 ? 's are' : ' is'} ${fmtShape(trailing)})`);
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t === undefined || t === null) continue;
    if (t.dtype !== 'f32') throw sgError(`layerNorm: ${name} must be f32, got ${t.describe()}`, ShapeError);
    if (!sameShape(t.shape, normalizedShape)) {
      throw sgError(`layerNorm: ${name} ${t.describe()} must have shape normalizedShape ${fmtShape(normalizedShape)}`, ShapeError);
    }
  }
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw sgError(`layerNorm: eps must be a finite number >= 0, got ${String(eps)}`);
  }
  const inputs = [x];
  if (weight) inputs.push(weight);
  if (bias) inputs.push(bias);
  const attrs = { normalizedShape: [...normalizedShape], eps, hasWeight: !!weight, hasBias: !!bias };
  return apply(layerNormOp, inputs, attrs)[0];
}
