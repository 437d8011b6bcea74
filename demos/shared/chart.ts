// Small canvas charts for the demos (no chart library): line charts with axes and a legend, and a
// heat map with counts (confusion matrices). Charts redraw from scratch on every update.

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

export interface LineChartOptions {
  xLabel?: string;
  yLabel?: string;
  /** Fixed y range; otherwise from the data (with 0 included when `zero`). */
  yMin?: number;
  yMax?: number;
  logY?: boolean;
  /** Show markers on each point (short series). */
  markers?: boolean;
  /** Only whole numbers on the x axis (layer numbers, epochs). */
  integerX?: boolean;
}

/** Size the canvas backing store to its CSS size × devicePixelRatio; returns the 2-D context in CSS pixels. */
export function fitCanvas(canvas: HTMLCanvasElement): { ctx: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(50, canvas.clientWidth || Number(canvas.getAttribute('width')) || 300);
  const h = Math.max(50, canvas.clientHeight || Number(canvas.getAttribute('height')) || 150);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}

/** "Nice" tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

function label(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(3)));
}

export function lineChart(canvas: HTMLCanvasElement, series: Series[], opts: LineChartOptions = {}): void {
  const { ctx, w, h } = fitCanvas(canvas);
  const pad = { l: 52, r: 12, t: 22, b: opts.xLabel ? 34 : 22 };
  const all = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!opts.logY || y > 0));
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#5f6b7a';
  if (all.length === 0) {
    ctx.fillText('no data yet', w / 2 - 28, h / 2);
    drawLegend(ctx, series, pad.l, 12);
    return;
  }
  let x0 = Math.min(...all.map((p) => p[0]));
  let x1 = Math.max(...all.map((p) => p[0]));
  if (x1 === x0) x1 = x0 + 1;
  const ty = (y: number) => (opts.logY ? Math.log10(y) : y);
  let y0 = opts.yMin ?? Math.min(...all.map((p) => ty(p[1])));
  let y1 = opts.yMax ?? Math.max(...all.map((p) => ty(p[1])));
  if (opts.yMin !== undefined && opts.logY) y0 = Math.log10(opts.yMin);
  if (opts.yMax !== undefined && opts.logY) y1 = Math.log10(opts.yMax);
  if (y1 - y0 < 1e-9) {
    y0 -= 0.5;
    y1 += 0.5;
  } else if (opts.yMin === undefined || opts.yMax === undefined) {
    const m = (y1 - y0) * 0.06;
    if (opts.yMin === undefined) y0 -= m;
    if (opts.yMax === undefined) y1 += m;
  }
  if (x0 > 0 && x0 < (x1 - x0) * 0.2) x0 = 0;
  const X = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r);
  const Y = (y: number) => h - pad.b - ((ty(y) - y0) / (y1 - y0)) * (h - pad.t - pad.b);
  // grid and axes
  ctx.strokeStyle = '#eceff3';
  ctx.lineWidth = 1;
  const yTicks = opts.logY
    ? ticks(Math.floor(y0), Math.ceil(y1), Math.min(6, Math.ceil(y1) - Math.floor(y0) || 1)).filter((t) => Number.isInteger(t) && t >= y0 - 1e-9 && t <= y1 + 1e-9).map((t) => 10 ** t)
    : ticks(y0, y1, 4);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of yTicks) {
    const yy = Y(t);
    ctx.beginPath();
    ctx.moveTo(pad.l, yy);
    ctx.lineTo(w - pad.r, yy);
    ctx.stroke();
    ctx.fillText(label(t), pad.l - 6, yy);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of ticks(x0, x1, Math.max(2, Math.floor((w - pad.l) / 80))).filter((v) => !opts.integerX || Number.isInteger(v))) {
    const xx = X(t);
    ctx.beginPath();
    ctx.moveTo(xx, pad.t);
    ctx.lineTo(xx, h - pad.b);
    ctx.stroke();
    ctx.fillText(label(t), xx, h - pad.b + 4);
  }
  ctx.strokeStyle = '#aab3bf';
  ctx.beginPath();
  ctx.moveTo(pad.l, pad.t);
  ctx.lineTo(pad.l, h - pad.b);
  ctx.lineTo(w - pad.r, h - pad.b);
  ctx.stroke();
  if (opts.xLabel) ctx.fillText(opts.xLabel, (pad.l + w - pad.r) / 2, h - 14);
  if (opts.yLabel) {
    ctx.save();
    ctx.translate(11, (pad.t + h - pad.b) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = 'middle';
    ctx.fillText(opts.yLabel, 0, 0);
    ctx.restore();
  }
  // series
  ctx.save();
  ctx.beginPath();
  ctx.rect(pad.l, pad.t - 2, w - pad.l - pad.r, h - pad.t - pad.b + 4);
  ctx.clip();
  for (const s of series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!opts.logY || y > 0));
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = 1.8;
    ctx.setLineDash(s.dashed ? [5, 4] : []);
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(X(x), Y(y)) : ctx.moveTo(X(x), Y(y))));
    ctx.stroke();
    if (opts.markers || pts.length === 1) for (const [x, y] of pts) ctx.fillRect(X(x) - 2, Y(y) - 2, 4, 4);
  }
  ctx.restore();
  ctx.setLineDash([]);
  drawLegend(ctx, series, pad.l + 4, 4);
}

function drawLegend(ctx: CanvasRenderingContext2D, series: Series[], x: number, y: number): void {
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'left';
  ctx.textBaseline = 'top';
  let at = x;
  for (const s of series) {
    ctx.fillStyle = s.color;
    ctx.fillRect(at, y + 4, 12, 3);
    ctx.fillStyle = '#3b4452';
    ctx.fillText(s.name, at + 16, y);
    at += 24 + ctx.measureText(s.name).width;
  }
}

/** A matrix as coloured cells with their counts; rows labelled on the left, columns on top. */
export function heatmap(canvas: HTMLCanvasElement, m: number[][], opts: { rowTitle?: string; colTitle?: string; labels?: string[] } = {}): void {
  const { ctx, w, h } = fitCanvas(canvas);
  const n = m.length;
  if (!n) return;
  const pad = { l: 40, t: 30, r: 8, b: 8 };
  const size = Math.min((w - pad.l - pad.r) / n, (h - pad.t - pad.b) / n);
  const max = Math.max(1, ...m.flat());
  ctx.font = `${Math.max(9, Math.min(12, size * 0.38))}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  const labels = opts.labels ?? m.map((_, i) => String(i));
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const v = m[r][c];
      const t = Math.sqrt(v / max);
      ctx.fillStyle = r === c ? `rgba(31,157,85,${0.08 + 0.85 * t})` : `rgba(214,69,69,${v ? 0.1 + 0.85 * t : 0.03})`;
      const x = pad.l + c * size;
      const y = pad.t + r * size;
      ctx.fillRect(x + 1, y + 1, size - 2, size - 2);
      if (v) {
        ctx.fillStyle = t > 0.55 ? '#fff' : '#1d2330';
        ctx.fillText(String(v), x + size / 2, y + size / 2);
      }
    }
    ctx.fillStyle = '#5f6b7a';
    ctx.fillText(labels[r], pad.l - 10, pad.t + r * size + size / 2);
    ctx.fillText(labels[r], pad.l + r * size + size / 2, pad.t - 9);
  }
  ctx.textAlign = 'left';
  ctx.fillText(`${opts.colTitle ?? 'predicted'} →`, pad.l, 8);
  ctx.save();
  ctx.translate(9, pad.t + 4);
  ctx.rotate(Math.PI / 2);
  ctx.fillText(`${opts.rowTitle ?? 'true'} →`, 0, 0);
  ctx.restore();
}
