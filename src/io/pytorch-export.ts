// sg.io.exportPytorch: hand a shadergrad model over to PyTorch. It writes, in one directory,
//
//   model.py           the same architecture as torch.nn code (build_model(), load_model())
//   model.safetensors  the weights and buffers under PyTorch's state_dict keys (what sg.save writes)
//   README.md          how to load it and continue training
//
// so `from model import load_model; model = load_model()` gives a torch.nn.Module whose
// load_state_dict(strict=True) took every tensor and whose outputs match shadergrad's.
// pytorchModelCode(model) is the model.py text alone (no files, works in a page).

import type { Module } from '../nn/module.js';
import {
  BatchNorm, Conv2d, Dropout, Embedding, GroupNorm, InstanceNorm, Lambda, LayerNorm, Linear, RandomAugment, Residual,
  RMSNorm, Sequential,
} from '../nn/layers.js';
import { ClassToken, LearnedPositionalEmbedding, PatchEmbedding, SinusoidalPositionalEncoding, TokenPool } from '../nn/embeddings.js';
import { MultiheadAttention, TransformerEncoder, TransformerEncoderLayer } from '../nn/transformer.js';
import { saveCheckpoint } from './checkpoint.js';
import { sgError } from '../util/errors.js';

export interface ExportPytorchOptions {
  /** Replace model.py, model.safetensors and README.md if the directory already has them (default false: refuse). */
  overwrite?: boolean;
  /** JSON metadata stored in model.safetensors beside the weights (e.g. the training config). */
  metadata?: Record<string, unknown>;
}

export interface ExportPytorchResult {
  /** Paths of the files written: model.py, model.safetensors, README.md. */
  files: string[];
}

/** Python source for a JS value: numbers, booleans, strings and arrays (as tuples). */
function py(v: unknown, where: string): string {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return "float('nan')";
    if (!Number.isFinite(v)) return v > 0 ? "float('inf')" : "float('-inf')";
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return v.length === 1 ? `(${py(v[0], where)},)` : `(${v.map((x) => py(x, where)).join(', ')})`;
  throw sgError(`exportPytorch: ${where}: cannot write ${JSON.stringify(v)} as a Python value`);
}

/** camelCase → snake_case (torch's argument names: kernelSize → kernel_size, ceilMode → ceil_mode). */
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** keyword arguments `a=1, b=True` from options (undefined values and `skip` keys left out). */
function kwargs(opts: Record<string, unknown>, where: string, skip: string[] = [], rename: Record<string, string> = {}): string[] {
  return Object.entries(opts)
    .filter(([k, v]) => v !== undefined && !skip.includes(k))
    .map(([k, v]) => `${rename[k] ?? snake(k)}=${py(v, `${where} option '${k}'`)}`);
}

const call = (ctor: string, args: string[]) => `${ctor}(${args.join(', ')})`;

/** torch.nn for shadergrad Lambda layers of these kinds: the constructor and its default arguments. */
const LAMBDAS: Record<string, { ctor: string; defaults?: Record<string, unknown> }> = {
  ReLU: { ctor: 'nn.ReLU' },
  Sigmoid: { ctor: 'nn.Sigmoid' },
  Tanh: { ctor: 'nn.Tanh' },
  SiLU: { ctor: 'nn.SiLU' },
  Flatten: { ctor: 'nn.Flatten', defaults: { startDim: 1, endDim: -1 } },
  MaxPool2d: { ctor: 'nn.MaxPool2d' },
  AvgPool2d: { ctor: 'nn.AvgPool2d' },
  GlobalAvgPool2d: { ctor: 'nn.AdaptiveAvgPool2d' },
  LeakyReLU: { ctor: 'nn.LeakyReLU', defaults: { negativeSlope: 0.01 } },
  ELU: { ctor: 'nn.ELU', defaults: { alpha: 1 } },
  GELU: { ctor: 'nn.GELU', defaults: { approximate: 'none' } },
  Softplus: { ctor: 'nn.Softplus', defaults: { beta: 1, threshold: 20 } },
  Softmax: { ctor: 'nn.Softmax' },
  LogSoftmax: { ctor: 'nn.LogSoftmax' },
};

interface Emitter {
  /** Helper classes the code needs (Residual). */
  helpers: Set<string>;
}

/** The torch.nn expression building `m` (at dotted path `path`), indented for nesting. */
function expr(m: Module, path: string, indent: string, out: Emitter): string {
  const where = `module '${path || '(root)'}' (${m.kind})`;
  const child = (c: Module, name: string, ind: string) => expr(c, path ? `${path}.${name}` : name, ind, out);
  if (m instanceof Sequential) {
    if (!m.layers.length) return 'nn.Sequential()';
    const inner = indent + '    ';
    return `nn.Sequential(\n${m.layers.map((l, i) => `${inner}${child(l, String(i), inner)},`).join('\n')}\n${indent})`;
  }
  if (m instanceof Residual) {
    out.helpers.add('Residual');
    const args = [child(m.body, 'body', indent)];
    if (m.shortcut) args.push(child(m.shortcut, 'shortcut', indent));
    return call('Residual', args);
  }
  if (m instanceof Linear) {
    return call('nn.Linear', [String(m.inFeatures), String(m.outFeatures), ...(m.bias ? [] : ['bias=False'])]);
  }
  if (m instanceof Conv2d) {
    const k = m.kernel[0] === m.kernel[1] ? String(m.kernel[0]) : py(m.kernel, where);
    const { bias, ...opts } = m.opts;
    return call('nn.Conv2d', [String(m.inChannels), String(m.outChannels), k,
      ...kwargs(opts as Record<string, unknown>, where, ['version', 'init', 'seed']), ...(bias === false ? ['bias=False'] : [])]);
  }
  if (m instanceof BatchNorm) {
    const ctor = m.kind === 'BatchNorm1d' ? 'nn.BatchNorm1d' : 'nn.BatchNorm2d';
    const { eps, momentum, affine } = m.opts;
    // momentum null is torch's momentum=None (the cumulative moving average).
    const mom = momentum === null ? ['momentum=None'] : kwargs({ momentum }, where);
    return call(ctor, [String(m.numFeatures), ...kwargs({ eps }, where), ...mom, ...kwargs({ affine: affine === false ? false : undefined }, where)]);
  }
  if (m instanceof LayerNorm) {
    const shape = m.normalizedShape.length === 1 ? String(m.normalizedShape[0]) : py(m.normalizedShape, where);
    const { eps, affine, bias } = m.opts;
    return call('nn.LayerNorm', [shape, ...kwargs({ eps, elementwiseAffine: affine === false ? false : undefined, bias: bias === false ? false : undefined }, where)]);
  }
  if (m instanceof RMSNorm) {
    // nn.RMSNorm is torch ≥ 2.4; model.py defines the same layer for an older torch (HELPERS_PY).
    out.helpers.add('RMSNorm');
    const shape = m.normalizedShape.length === 1 ? String(m.normalizedShape[0]) : py(m.normalizedShape, where);
    const { eps, affine } = m.opts;
    return call('RMSNorm', [shape, ...kwargs({ eps, elementwiseAffine: affine === false ? false : undefined }, where)]);
  }
  if (m instanceof GroupNorm) {
    const { eps, affine } = m.opts;
    return call('nn.GroupNorm', [String(m.numGroups), String(m.numChannels), ...kwargs({ eps, affine: affine === false ? false : undefined }, where)]);
  }
  if (m instanceof InstanceNorm) {
    const { eps, momentum, affine, trackRunningStats } = m.opts;
    return call(`nn.${m.kind}`, [String(m.numFeatures),
      ...kwargs({ eps, momentum, affine: affine || undefined, trackRunningStats: trackRunningStats || undefined }, where)]);
  }
  if (m instanceof PatchEmbedding) {
    out.helpers.add('PatchEmbedding');
    return call('PatchEmbedding', [String(m.inChannels), String(m.dim), String(m.patchSize)]);
  }
  if (m instanceof ClassToken) {
    out.helpers.add('ClassToken');
    return call('ClassToken', [String(m.dim)]);
  }
  if (m instanceof LearnedPositionalEmbedding) {
    out.helpers.add('LearnedPositionalEmbedding');
    return call('LearnedPositionalEmbedding', [String(m.maxLen), String(m.dim)]);
  }
  if (m instanceof SinusoidalPositionalEncoding) {
    out.helpers.add('SinusoidalPositionalEncoding');
    return call('SinusoidalPositionalEncoding', [String(m.maxLen), String(m.dim)]);
  }
  if (m instanceof TokenPool) {
    out.helpers.add('TokenPool');
    return call('TokenPool', [py(m.mode, where)]);
  }
  if (m instanceof MultiheadAttention) {
    // torch's module returns (output, weights) and takes (query, key, value): SelfAttention is the
    // same module (same state_dict) called as forward(x) -> output, as shadergrad's forward(x) is.
    out.helpers.add('SelfAttention');
    const o = m.opts;
    return call('SelfAttention', [String(m.embedDim), String(m.numHeads), ...kwargs({
      dropout: o.dropout || undefined, bias: o.bias === false ? false : undefined, batchFirst: o.batchFirst || undefined,
      kdim: m.packed ? undefined : m.kdim, vdim: m.packed ? undefined : m.vdim,
    }, where)]);
  }
  if (m instanceof TransformerEncoderLayer) {
    // causal: torch's layer takes the mask per call; CausalTransformerEncoderLayer passes it itself.
    if (m.opts.causal) out.helpers.add('CausalTransformerEncoderLayer');
    const o = m.opts;
    return call(m.opts.causal ? 'CausalTransformerEncoderLayer' : 'nn.TransformerEncoderLayer', [String(m.dModel), String(m.nhead), ...kwargs({
      dimFeedforward: m.dimFeedforward, dropout: o.dropout ?? 0.1, activation: m.activation, layerNormEps: o.layerNormEps,
      batchFirst: o.batchFirst || undefined, normFirst: o.normFirst || undefined, bias: o.bias === false ? false : undefined,
    }, where)]);
  }
  if (m instanceof TransformerEncoder) {
    // torch deep-copies the layer numLayers times, as shadergrad did: layers.<i>.* keys.
    const layer = child(m.layers.items[0], 'layers.0', indent);
    const norm = m.norm ? [`norm=${child(m.norm, 'norm', indent)}`] : [];
    return call('nn.TransformerEncoder', [layer, String(m.numLayers), ...norm, 'enable_nested_tensor=False']);
  }
  if (m instanceof Dropout) return call('nn.Dropout', [`p=${py(m.p, where)}`]);
  if (m instanceof Embedding) return call('nn.Embedding', [String(m.numEmbeddings), String(m.dim)]);
  if (m instanceof RandomAugment) {
    // Training-time augmentation has no torch.nn layer: identity here (as in eval), the augmentation
    // belongs in the PyTorch data pipeline (e.g. torchvision.transforms).
    return `nn.Identity()  # shadergrad RandomAugment(${kwargs({ ...m.opts }, where).join(', ')}): augment in your data pipeline`;
  }
  if (m instanceof Lambda) {
    const spec = LAMBDAS[m.kind];
    if (!spec) throw sgError(`exportPytorch: ${where} has no torch.nn equivalent (a custom Lambda); write it by hand in model.py`);
    if (m.kind === 'GlobalAvgPool2d') return 'nn.AdaptiveAvgPool2d(1)';
    const opts = Object.fromEntries(Object.entries(m.config).filter(([k, v]) => spec.defaults?.[k] !== v));
    return call(spec.ctor, kwargs(opts, where));
  }
  throw sgError(`exportPytorch: ${where} has no torch.nn equivalent known to exportPytorch ` +
    '(it writes Sequential, Residual, Linear, Conv2d, BatchNorm1d/2d, LayerNorm, RMSNorm, GroupNorm, InstanceNorm1d/2d, ' +
    'Dropout, Embedding, the activation, pooling and flatten layers, and the transformer embeddings: PatchEmbedding, ' +
    'ClassToken, Learned/SinusoidalPositionalEncoding, and MultiheadAttention, TransformerEncoderLayer, TransformerEncoder)');
}

const RESIDUAL_PY = `class Residual(nn.Module):
    """x + body(x), with an optional projection module on the skip path (shadergrad's nn.residual)."""

    def __init__(self, body, shortcut=None):
        super().__init__()
        self.body = body
        self.shortcut = shortcut

    def forward(self, x):
        return self.body(x) + (x if self.shortcut is None else self.shortcut(x))
`;

/** torch.nn code of the layers that torch.nn lacks (timm's names, batch-first tokens [B, T, D]). */
const HELPERS_PY: Record<string, string> = {
  Residual: RESIDUAL_PY,
  RMSNorm: `RMSNorm = getattr(nn, 'RMSNorm', None)
if RMSNorm is None:
    class RMSNorm(nn.Module):
        """torch.nn.RMSNorm (torch >= 2.4) for an older torch: x / sqrt(mean(x^2) + eps) * weight over the
        trailing normalized_shape dims, eps = torch.finfo(x.dtype).eps when None; the same state_dict."""

        def __init__(self, normalized_shape, eps=None, elementwise_affine=True):
            super().__init__()
            self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
            self.eps = eps
            self.weight = nn.Parameter(torch.ones(self.normalized_shape)) if elementwise_affine else None

        def forward(self, x):
            eps = torch.finfo(x.dtype).eps if self.eps is None else self.eps
            dims = tuple(range(-len(self.normalized_shape), 0))
            y = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps)
            return y if self.weight is None else y * self.weight
`,
  PatchEmbedding: `class PatchEmbedding(nn.Module):
    """A ViT patch embedding: a patch_size-strided convolution, then [B, D, H', W'] -> [B, N, D] tokens."""

    def __init__(self, in_channels, dim, patch_size):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dim, patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)
`,
  ClassToken: `class ClassToken(nn.Module):
    """Prepends a learned class token [1, 1, D] to [B, N, D] tokens."""

    def __init__(self, dim):
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))

    def forward(self, x):
        return torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
`,
  LearnedPositionalEmbedding: `class LearnedPositionalEmbedding(nn.Module):
    """x + pos_embed[:, :T] with a learned table [1, max_len, D]."""

    def __init__(self, max_len, dim):
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(1, max_len, dim))

    def forward(self, x):
        return x + self.pos_embed[:, : x.shape[1]]
`,
  SinusoidalPositionalEncoding: `class SinusoidalPositionalEncoding(nn.Module):
    """x + PE[:T]: PE[p, 2i] = sin(p / 10000^(2i/D)), PE[p, 2i+1] = cos(p / 10000^(2i/D)) (not in the state dict)."""

    def __init__(self, max_len, dim):
        super().__init__()
        pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
        freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
        pe = torch.zeros(max_len, dim, dtype=torch.float64)
        pe[:, 0::2] = torch.sin(pos * freq)
        pe[:, 1::2] = torch.cos(pos * freq[: dim // 2])
        self.register_buffer('pe', pe.float(), persistent=False)

    def forward(self, x):
        return x + self.pe[: x.shape[1]]
`,
};

HELPERS_PY.TokenPool = `class TokenPool(nn.Module):
    """[B, T, D] -> [B, D]: the class token (mode 'cls', token 0) or the mean over tokens ('mean')."""

    def __init__(self, mode='cls'):
        super().__init__()
        self.mode = mode

    def forward(self, x):
        return x.mean(1) if self.mode == 'mean' else x[:, 0]
`;

HELPERS_PY.SelfAttention = `class SelfAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention called on one input: forward(x) = the attention output of query = key = value = x."""

    def forward(self, x):
        return super().forward(x, x, x, need_weights=False)[0]
`;

HELPERS_PY.CausalTransformerEncoderLayer = `class CausalTransformerEncoderLayer(nn.TransformerEncoderLayer):
    """nn.TransformerEncoderLayer whose self-attention is always causal (a decoder-only / GPT block):
    query i attends to keys 0..i; a given src_mask is added to the causal mask."""

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False, **kwargs):
        t = src.shape[1] if (self.self_attn.batch_first and src.dim() == 3) else src.shape[0]
        causal = torch.triu(torch.full((t, t), float('-inf'), dtype=src.dtype, device=src.device), diagonal=1)
        if src_mask is not None:
            extra = src_mask if src_mask.dtype != torch.bool else torch.zeros_like(src_mask, dtype=src.dtype).masked_fill(src_mask, float('-inf'))
            causal = causal + extra
        return super().forward(src, causal, src_key_padding_mask)
`;

const READER_PY = `def read_safetensors(path):
    """The tensors of a safetensors file: safetensors.torch.load_file when the package is installed,
    else a small reader of the format (8-byte little-endian header length, JSON header, raw data)."""
    try:
        from safetensors.torch import load_file
    except ImportError:
        pass
    else:
        return load_file(path)
    dtypes = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16,
              'I64': torch.int64, 'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8,
              'BOOL': torch.bool}
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop('__metadata__', None)
    out = {}
    for name, entry in header.items():
        begin, end = entry['data_offsets']
        data = bytearray(raw[8 + n + begin:8 + n + end])
        dtype = dtypes[entry['dtype']]
        flat = torch.frombuffer(data, dtype=dtype) if data else torch.empty(0, dtype=dtype)
        out[name] = flat.reshape(entry['shape']).clone()
    return out
`;

/**
 * The model.py text: `build_model()` (the architecture as torch.nn code, whose state_dict has exactly
 * the keys, shapes and layouts of `model.stateDict()`), `read_safetensors(path)` and
 * `load_model(path='model.safetensors' beside the file, device='cpu')` (strict load). Throws for a
 * layer with no torch.nn equivalent, naming it.
 */
export function pytorchModelCode(model: Module): string {
  const out: Emitter = { helpers: new Set() };
  const body = expr(model, '', '    ', out);
  const parts = [
    `# Generated by shadergrad (sg.io.exportPytorch): the architecture of a shadergrad ${model.kind} as torch.nn
# code. build_model()'s state_dict has exactly the keys, shapes and dtypes of model.safetensors.
#
#     from model import load_model
#     model = load_model()   # model.safetensors beside this file, load_state_dict(strict=True)
#     model.train()          # continue training (model.eval() for inference: dropout off, batch-norm running stats)
import json
import math
import os
import struct

import torch
from torch import nn
`,
  ];
  for (const h of ['Residual', 'RMSNorm', 'PatchEmbedding', 'ClassToken', 'LearnedPositionalEmbedding', 'SinusoidalPositionalEncoding', 'TokenPool', 'SelfAttention', 'CausalTransformerEncoderLayer']) {
    if (out.helpers.has(h)) parts.push(`\n${HELPERS_PY[h]}`);
  }
  parts.push(`
def build_model() -> nn.Module:
    return ${body}
`);
  parts.push(`\n${READER_PY}`);
  parts.push(`
def load_model(path=None, device='cpu') -> nn.Module:
    """build_model() with the weights and buffers of \`path\` (default: model.safetensors beside this file)."""
    if path is None:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'model.safetensors')
    model = build_model()
    model.load_state_dict(read_safetensors(path), strict=True)
    return model.to(device)


if __name__ == '__main__':
    print(load_model())
`);
  return parts.join('');
}

const README_MD = (kind: string) => `# A shadergrad model, exported for PyTorch

- \`model.py\`: the architecture (a shadergrad ${kind}) as torch.nn code: \`build_model()\`, \`load_model()\`.
- \`model.safetensors\`: its parameters and buffers under PyTorch's \`state_dict\` keys (\`0.weight\`,
  \`1.running_mean\`, \`1.num_batches_tracked\` as int64, ...).

\`\`\`python
from model import load_model
model = load_model()                 # load_state_dict(strict=True); needs only torch
model.train()                        # continue training where shadergrad left off
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
\`\`\`

Without \`model.py\`: \`model.load_state_dict(safetensors.torch.load_file('model.safetensors'))\` for
the same architecture. The optimizer's state is not exported: a PyTorch optimizer starts fresh.
Training-time augmentation layers (RandomAugment) are \`nn.Identity()\` here: augment in the data pipeline.
`;

/**
 * Write model.py, model.safetensors and README.md into `dir` (created if missing) so the model can be
 * loaded and trained further in PyTorch. Node only. Refuses to replace existing files unless
 * `overwrite`. Throws before writing anything if a layer has no torch.nn equivalent.
 */
export async function exportPytorch(model: Module, dir: string, opts: ExportPytorchOptions = {}): Promise<ExportPytorchResult> {
  const where = 'exportPytorch';
  if (typeof dir !== 'string' || dir.length === 0) throw sgError(`${where}: dir must be a non-empty string`);
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw sgError(`${where} writes files in Node; in a page use pytorchModelCode(model) and sg.io.checkpointBytes`);
  }
  const code = pytorchModelCode(model);
  const fsName = 'node:fs/promises';
  const pathName = 'node:path';
  const fs: typeof import('node:fs/promises') = await import(/* @vite-ignore */ fsName);
  const pathLib: typeof import('node:path') = await import(/* @vite-ignore */ pathName);
  const files = ['model.py', 'model.safetensors', 'README.md'].map((f) => pathLib.join(dir, f));
  if (!opts.overwrite) {
    const present: string[] = [];
    for (const f of files) if (await fs.stat(f).then(() => true, () => false)) present.push(f);
    if (present.length) throw sgError(`${where}: ${present.join(', ')} already exist (pass { overwrite: true } to replace them)`);
  }
  await fs.mkdir(dir, { recursive: true });
  await saveCheckpoint(files[1], {
    tensors: model.stateDict(), int64: true, metadata: { ...opts.metadata, model: model.kind, exportedFor: 'pytorch' },
  });
  await fs.writeFile(files[0], code);
  await fs.writeFile(files[2], README_MD(model.kind));
  return { files };
}
