// What every demo page shares: the header, starting the GPU (with a visible message when WebGPU is
// missing), test mode (?test=1, used by demos/test/run.mjs) and the state the test driver reads.
import * as sg from 'shadergrad';
import './style.css';

/** What the headless test driver (demos/test/run.mjs) polls: `window.__demo`. */
export interface DemoState {
  page: string;
  status: 'loading' | 'running' | 'done' | 'error' | 'no-webgpu';
  message?: string;
  /** Page-specific results the test checks (losses, accuracy, rows shown, ...). */
  result: Record<string, unknown>;
}

declare global {
  interface Window {
    __demo: DemoState;
  }
}

const params = new URLSearchParams(location.search);
/** ?test=1: small, fast settings that run by themselves and report to window.__demo. */
export const testMode = params.has('test');
export const query = params;

const PAGES: [string, string][] = [
  ['mnist', 'MNIST'],
  ['playground', 'Playground'],
  ['gpt', 'Tiny GPT'],
  ['clip', 'CLIP'],
  ['compress', 'Compress'],
  ['inspector', 'Step inspector'],
  ['bench', 'Kernel bench'],
];

/** Create an element with attributes / properties and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, props: Partial<Record<string, string | number | boolean | EventListener>> = {}, ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else if (typeof v === 'boolean') {
      if (v) e.setAttribute(k, '');
    } else e.setAttribute(k, String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export function $(id: string): HTMLElement {
  const e = document.getElementById(id);
  if (!e) throw new Error(`demo: no element #${id}`);
  return e;
}

/** The site header with links to every demo; `page` is this page's folder ('' for the landing page). */
export function header(page: string): HTMLElement {
  const up = page ? '../' : './';
  const nav = el('nav', {},
    el('a', { href: `${up}index.html`, class: 'brand' }, 'shadergrad'),
    ...PAGES.map(([dir, name]) => el('a', { href: `${up}${dir}/index.html`, class: dir === page ? 'active' : '' }, name)));
  const h = el('header', { class: 'site' }, nav);
  document.body.prepend(h);
  return h;
}

/** A banner at the top of <main>. */
export function banner(kind: 'error' | 'info' | 'warn', title: string, detail?: string): HTMLElement {
  const b = el('div', { class: `banner ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
    el('strong', {}, title), detail ? el('p', {}, detail) : null);
  const main = document.querySelector('main') ?? document.body;
  main.prepend(b);
  return b;
}

/**
 * Start a demo page: header, GPU initialisation, then `main`. Without WebGPU the page shows why and
 * how to get it instead of staying blank; any error is shown too. Both are reported to window.__demo.
 */
export async function start(page: string, main: (info: sg.DeviceInfo) => Promise<void>): Promise<void> {
  window.__demo = { page, status: 'loading', result: {} };
  header(page);
  let info: sg.DeviceInfo;
  try {
    info = await sg.init({ quiet: true });
  } catch (e) {
    const message = (e as Error).message ?? String(e);
    document.body.classList.add('no-gpu');
    const [title, detail] = await whyNoWebGpu(message);
    banner('error', title, detail);
    window.__demo.status = 'no-webgpu';
    window.__demo.message = message;
    return;
  }
  const adapter = `${info.vendor} ${info.architecture} ${info.description}`.trim();
  const badge = el('span', { class: 'adapter', title: info.features.join(', ') }, `GPU: ${adapter || 'unknown adapter'}${info.software ? ' (software — slow)' : ''}`);
  document.querySelector('header.site nav')?.append(badge);
  window.__demo.status = 'running';
  try {
    await main(info);
    if (window.__demo.status === 'running' && testMode) window.__demo.status = 'done';
  } catch (e) {
    fail(e);
  }
}

/**
 * The no-WebGPU banner's title and advice, for a reader in a browser: what the browser lacks and how to
 * get WebGPU there. sg.init()'s own message also serves Node users (Dawn, Vulkan drivers, Debian
 * packages), so it is not shown unless WebGPU is there and failed for another reason.
 */
async function whyNoWebGpu(message: string): Promise<[string, string]> {
  const browsers = 'WebGPU runs in Chrome and Edge 113+ (Windows, macOS, ChromeOS; Android 121+), Safari 26+ and Firefox 141+ on Windows.';
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    return ['WebGPU is not available in this browser, so this demo cannot run here.',
      `This browser has no WebGPU (navigator.gpu is missing). ${browsers} In Chrome on Linux, turn on chrome://flags/#enable-unsafe-webgpu.`];
  }
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) {
    return ['This browser offers no GPU adapter to WebGPU, so this demo cannot run here.',
      'navigator.gpu is there but requestAdapter() found none: WebGPU may be switched off (chrome://flags), the GPU or its driver blocklisted, ' +
      'or hardware acceleration off. Turn on "Use graphics acceleration when available" (chrome://settings/system in Chrome and Edge), ' +
      'update the graphics driver, and look at chrome://gpu for the WebGPU status. ' + browsers];
  }
  return ['WebGPU did not start, so this demo cannot run here.', `${message} — ${browsers} Reloading the page may help after a GPU reset.`];
}

/** Show an error on the page and report it to the test driver. */
export function fail(e: unknown): void {
  const err = e as Error;
  console.error(err);
  banner('error', 'Something went wrong', err?.message ?? String(e));
  window.__demo.status = 'error';
  window.__demo.message = err?.stack ?? String(e);
}

/** Format a number compactly: 1234 → 1.23k. */
export function fmt(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toPrecision(digits)}G`;
  if (a >= 1e6) return `${(n / 1e6).toPrecision(digits)}M`;
  if (a >= 1e3) return `${(n / 1e3).toPrecision(digits)}k`;
  if (a === 0) return '0';
  if (a < 1e-3) return n.toExponential(digits - 1);
  return n.toPrecision(digits);
}

/** Yield to the browser so the page repaints between GPU steps. */
export const nextFrame = () => new Promise<void>((r) => requestAnimationFrame(() => r()));

/** Most training steps a page submits before it waits for their losses (a plan's read-back ring holds 64). */
export const MAX_CHUNK = 32;

/**
 * The next chunk of steps a page runs between two waits, from how long the last one took: about a
 * tenth of a second — long enough to keep the GPU fed, short enough to stop soon and stay responsive.
 */
export function nextChunk(chunk: number, seconds: number): number {
  return seconds < 0.05 ? Math.min(MAX_CHUNK, chunk * 2) : seconds > 0.2 ? Math.max(1, chunk >> 1) : chunk;
}

/** A labelled <select>. */
export function select(label: string, options: [string, string][], value: string, onChange?: (v: string) => void): { root: HTMLElement; input: HTMLSelectElement } {
  const input = el('select', {}, ...options.map(([v, t]) => el('option', { value: v }, t)));
  input.value = value;
  if (onChange) input.addEventListener('change', () => onChange(input.value));
  return { root: el('label', { class: 'field' }, el('span', {}, label), input), input };
}

/** A labelled number <input>. */
export function numberInput(label: string, value: number, opts: { min?: number; max?: number; step?: number | 'any' } = {}): { root: HTMLElement; input: HTMLInputElement } {
  const input = el('input', { type: 'number', value: String(value), min: opts.min, max: opts.max, step: opts.step ?? 'any' });
  return { root: el('label', { class: 'field' }, el('span', {}, label), input), input };
}
