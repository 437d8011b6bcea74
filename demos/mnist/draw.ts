// The drawing pad: strokes on a 280×280 canvas, turned into an MNIST-like 28×28 image — the ink's
// bounding box scaled to fit 20×20 and centred by its centre of mass, as the MNIST digits were prepared.

export interface DrawPad {
  root: HTMLElement;
  canvas: HTMLCanvasElement;
  clear(): void;
  /** The drawing as 784 grey levels in [0, 1], or null when the pad is empty. */
  pixels(): Float32Array | null;
  /** Draw a polyline (pad coordinates, 0…280) — used by the test to draw a digit. */
  stroke(points: [number, number][]): void;
}

const SIZE = 280;

export function drawPad(onChange: () => void): DrawPad {
  const canvas = document.createElement('canvas');
  canvas.width = SIZE;
  canvas.height = SIZE;
  canvas.style.cssText = 'width: 280px; height: 280px; border: 1px solid var(--line); border-radius: 6px; touch-action: none; cursor: crosshair; background: #000';
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const reset = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, SIZE, SIZE);
  };
  reset();
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#fff';
  ctx.lineWidth = 20;
  let last: [number, number] | null = null;
  let dirty = false;
  const pos = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * SIZE, ((e.clientY - r.top) / r.height) * SIZE];
  };
  const segment = (a: [number, number], b: [number, number]) => {
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
    dirty = true;
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = pos(e);
    segment(last, [last[0] + 0.1, last[1]]);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = pos(e);
    segment(last, p);
    last = p;
  });
  const end = () => {
    if (last) onChange();
    last = null;
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  const pixels = (): Float32Array | null => {
    if (!dirty) return null;
    const img = ctx.getImageData(0, 0, SIZE, SIZE).data;
    let x0 = SIZE, y0 = SIZE, x1 = -1, y1 = -1;
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        if (img[(y * SIZE + x) * 4] > 30) {
          x0 = Math.min(x0, x); x1 = Math.max(x1, x);
          y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
      }
    }
    if (x1 < 0) return null;
    // Scale the ink's bounding box into 20×20 (keeping its aspect), on a 28×28 canvas.
    const w = x1 - x0 + 1;
    const h = y1 - y0 + 1;
    const s = 20 / Math.max(w, h);
    const small = document.createElement('canvas');
    small.width = 28;
    small.height = 28;
    const sc = small.getContext('2d', { willReadFrequently: true })!;
    sc.fillStyle = '#000';
    sc.fillRect(0, 0, 28, 28);
    sc.imageSmoothingEnabled = true;
    sc.imageSmoothingQuality = 'high';
    sc.drawImage(canvas, x0, y0, w, h, (28 - w * s) / 2, (28 - h * s) / 2, w * s, h * s);
    const g = sc.getImageData(0, 0, 28, 28).data;
    const raw = new Float32Array(784);
    let mass = 0, cx = 0, cy = 0;
    for (let i = 0; i < 784; i++) {
      raw[i] = g[i * 4] / 255;
      mass += raw[i];
      cx += raw[i] * (i % 28);
      cy += raw[i] * Math.floor(i / 28);
    }
    // Shift so the centre of mass sits at the image centre.
    const dx = Math.round(13.5 - cx / mass);
    const dy = Math.round(13.5 - cy / mass);
    const out = new Float32Array(784);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const sx = x - dx;
        const sy = y - dy;
        if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = raw[sy * 28 + sx];
      }
    }
    return out;
  };

  const clear = () => {
    reset();
    dirty = false;
    onChange();
  };
  const stroke = (points: [number, number][]) => {
    for (let i = 1; i < points.length; i++) segment(points[i - 1], points[i]);
    onChange();
  };
  const root = document.createElement('div');
  root.append(canvas);
  return { root, canvas, clear, pixels, stroke };
}

/** Show a 28×28 image (values in [0, 1]) scaled up on a canvas. */
export function showDigit(canvas: HTMLCanvasElement, pixels: Float32Array | null): void {
  canvas.width = 28;
  canvas.height = 28;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round((pixels?.[i] ?? 0) * 255);
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
}
