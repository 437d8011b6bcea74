// Axis ticks for the charts of shadergrad/vis: round numbers (1, 2 or 5 × 10^k apart) and labels short
// enough to fit their axis (5e-4 rather than 0.000509). Pure functions: the page and the CLI's
// report.html (computed in Node) use the same ones.

/** The round step (1, 2 or 5 × 10^k) that covers `span` in at most `maxTicks` intervals; ≥ `minStep`. */
export function niceStep(span: number, maxTicks: number, minStep = 0): number {
  if (!(span > 0) || !Number.isFinite(span)) return Math.max(minStep, 1);
  const raw = span / Math.max(1, maxTicks);
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw * (1 - 1e-12)) ?? 10 * mag;
  if (step < minStep) step = minStep;
  return Number(step.toPrecision(12));
}

/** Round a tick value to its step's precision (0.30000000000000004 → 0.3). */
function snap(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  const r = Number(v.toFixed(Math.min(20, digits)));
  return Math.abs(r) < step * 1e-9 ? 0 : r;
}

/** Multiples of `step` inside [lo, hi] (ends included, within rounding). */
export function ticksIn(lo: number, hi: number, step: number): number[] {
  const out: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  for (let i = first; i <= last && out.length < 1000; i++) out.push(snap(i * step, step));
  return out;
}

export interface Axis {
  /** The axis range: round multiples of the step around the data (for a linear axis). */
  min: number;
  max: number;
  /** Tick positions, round numbers. */
  ticks: number[];
  /** One label per tick. */
  labels: string[];
}

export interface AxisOptions {
  /** Most ticks the axis has room for (the chart derives it from its size in pixels). */
  maxTicks?: number;
  /** Include 0 in the range (losses, learning rates, accuracies). */
  zero?: boolean;
  /** Whole-number ticks only (steps, epochs). */
  integer?: boolean;
  /** Fixed ends; the other end still comes from the data. */
  min?: number;
  max?: number;
  /** Log scale: ticks at powers of ten (with 2 and 5 between them when there are few decades). */
  log?: boolean;
}

/**
 * The range, ticks and labels of an axis showing values in [lo, hi]: the range is widened to the
 * round multiples of the tick step around the data, so both ends carry a tick.
 */
export function axis(lo: number, hi: number, o: AxisOptions = {}): Axis {
  const maxTicks = Math.max(2, Math.floor(o.maxTicks ?? 6));
  if (o.log) return logAxis(lo, hi, o, maxTicks);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (o.zero) {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, 0);
  }
  if (o.min !== undefined) lo = o.min;
  if (o.max !== undefined) hi = o.max;
  if (hi - lo <= Math.abs(hi) * 1e-9 || hi <= lo) {
    // One value (a constant learning rate, a single point): a small round window around it.
    const half = hi === 0 ? 1 : Math.abs(hi) * 0.1;
    if (o.min === undefined) lo = hi === 0 || (o.zero && hi > 0) ? Math.min(0, hi - half) : hi - half;
    if (o.max === undefined) hi = hi + half;
    if (hi <= lo) hi = lo + 1;
  }
  const step = niceStep(hi - lo, maxTicks, o.integer ? 1 : 0);
  const min = o.min ?? snap(Math.floor(lo / step + 1e-9) * step, step);
  const max = o.max ?? snap(Math.ceil(hi / step - 1e-9) * step, step);
  const ticks = ticksIn(min, max, step);
  return { min, max, ticks, labels: tickLabels(ticks, step) };
}

function logAxis(lo: number, hi: number, o: AxisOptions, maxTicks: number): Axis {
  if (!(lo > 0) || !Number.isFinite(lo)) lo = o.min !== undefined && o.min > 0 ? o.min : 1e-3;
  if (!(hi > 0) || !Number.isFinite(hi)) hi = Math.max(lo * 10, 1);
  if (o.min !== undefined && o.min > 0) lo = o.min;
  if (o.max !== undefined && o.max > 0) hi = o.max;
  const e0 = Math.floor(Math.log10(lo) + 1e-9);
  let e1 = Math.ceil(Math.log10(hi) - 1e-9);
  if (e1 <= e0) e1 = e0 + 1;
  const decades = e1 - e0;
  const every = Math.max(1, Math.ceil((decades + 1) / maxTicks));
  const mults = decades * 3 + 1 <= maxTicks ? [1, 2, 5] : decades * 2 + 1 <= maxTicks ? [1, 3] : [1];
  const ticks: number[] = [];
  for (let e = e0; e <= e1; e++) {
    if ((e - e0) % every) continue;
    for (const m of mults) {
      const v = Number((m * 10 ** e).toPrecision(12));
      if (e === e1 && m > 1) break;
      ticks.push(v);
    }
  }
  const min = o.min ?? Number((10 ** e0).toPrecision(12));
  const max = o.max ?? Number((10 ** e1).toPrecision(12));
  return { min, max, ticks, labels: ticks.map((t) => expLabel(t, t)) };
}

/** `v` in exponent form with the digits its step needs, trailing zeros dropped: 5e-4, 1.5e-3, 2e5. */
function expLabel(v: number, step: number): string {
  if (v === 0) return '0';
  const e = Math.floor(Math.log10(Math.abs(v)) + 1e-9);
  const es = Math.floor(Math.log10(step) + 1e-9);
  const digits = Math.min(4, Math.max(0, e - es));
  const [mant, exp] = v.toExponential(digits).split('e');
  const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
  return `${m}e${Number(exp)}`;
}

/**
 * Labels for ticks `step` apart, all in one form: plain decimals with the step's digits (0.25 → 2
 * decimals), or exponent form when the step is below 0.001 or the values reach 100 000.
 */
export function tickLabels(ticks: number[], step: number): string[] {
  const big = ticks.some((t) => Math.abs(t) >= 1e5);
  if (step < 1e-3 || big) return ticks.map((t) => expLabel(t, step));
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return ticks.map((t) => (t === 0 ? '0' : t.toFixed(decimals)));
}

/** A value for the legend: 4 significant digits, exponent form when tiny or huge. */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return expLabel(v, Math.abs(v) / 1000);
  return String(Number(v.toPrecision(4)));
}
