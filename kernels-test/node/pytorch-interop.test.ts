// PyTorch at the boundary (issue 12, item 12): checkpoints use PyTorch's state_dict keys both ways.
// Fixtures under kernels-test/fixtures/torch/ were made by torch (make_torch_fixtures.py): a state_dict
// in the safetensors format, its key list with dtypes and shapes, and the torch outputs for a fixed input.
// The reverse direction (files written here loaded by torch with strict=True, and exportPytorch's
// model.py run by torch) is checked by kernels-test/fixtures/check_torch_interop.sh with torch installed;
// here the files are checked against torch's key lists and the generated code against its expected text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sg from '../../src/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { exportPytorch, pytorchModelCode } from '../../src/io/pytorch-export.js';

const FIX = join(__dirname, '..', 'fixtures', 'torch');

interface TorchFixture {
  keys: { name: string; dtype: string; shape: number[] }[];
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
}

const fixture = async (name: string): Promise<TorchFixture> => JSON.parse(await readFile(join(FIX, `${name}.json`), 'utf8'));

/** The shadergrad models of the fixtures: the same architectures as the torch.nn.Sequential ones. */
const MODELS: Record<string, () => sg.nn.Module> = {
  mlp: () => sg.nn.sequential(sg.nn.flatten(), sg.nn.linear(12, 16), sg.nn.relu(), sg.nn.linear(16, 3)),
  cnn: () => sg.nn.sequential(
    sg.nn.conv2d(2, 4, 3, { padding: 1 }), sg.nn.batchNorm2d(4), sg.nn.relu(), sg.nn.dropout(0.25),
    sg.nn.maxPool2d(2), sg.nn.flatten(), sg.nn.linear(4 * 3 * 3, 5),
  ),
  layernorm: () => sg.nn.sequential(sg.nn.linear(6, 8), sg.nn.layerNorm(8), sg.nn.gelu(), sg.nn.linear(8, 2)),
  vit: () => sg.nn.sequential(
    sg.nn.patchEmbedding(3, 8, 2), sg.nn.classToken(8), sg.nn.learnedPositionalEmbedding(5, 8),
    sg.nn.sinusoidalPositionalEncoding(5, 8), sg.nn.layerNorm(8), sg.nn.flatten(), sg.nn.linear(40, 3),
  ),
};

/** shadergrad's dtype as the file holds it for PyTorch: i32 tensors are int64 there. */
const torchDtype = (d: string) => (d === 'i32' ? 'I64' : 'F32');

let dir: string;
beforeAll(async () => {
  await sg.init();
  dir = await mkdtemp(join(tmpdir(), 'sg-torch-'));
});
afterAll(async () => {
  sg.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('state_dict keys are PyTorch\'s', () => {
  for (const name of Object.keys(MODELS)) {
    it(`${name}: stateDict() has torch's keys, in torch's order, with its shapes and dtypes`, async () => {
      const fx = await fixture(name);
      const sd = MODELS[name]().stateDict();
      expect(Object.entries(sd).map(([k, t]) => ({ name: k, dtype: torchDtype(t.dtype), shape: t.shape }))).toEqual(fx.keys);
    });
  }

  it('batch norm buffers are running_mean, running_var, num_batches_tracked; dropout keeps its key out of the state dict', () => {
    const m = MODELS.cnn();
    expect(Object.keys(m.stateDict())).toEqual([
      '0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked', '6.weight', '6.bias',
    ]);
    expect(Object.keys(m.extraState())).toEqual(['3.key']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['1.running_mean', '1.running_var', '1.num_batches_tracked', '3.key']);
  });
});

describe('checkpoints saved before the PyTorch names still load', () => {
  it('runningMean / runningVar are renamed, num_batches_tracked becomes 0, a dropout key tensor becomes extra state', async () => {
    sg.manualSeed(5);
    const src = MODELS.cnn();
    const sd = src.stateDict();
    const rm = sg.tensor([0.5, -1, 2, 0.25], [4]);
    const rv = sg.tensor([1, 2, 3, 4], [4]);
    const key = sg.tensor(new Int32Array([11, 22]), [2], { dtype: 'i32' });
    // The old layout: camelCase buffers, no num_batches_tracked, the dropout key among the tensors.
    const old: Record<string, sg.Tensor> = {
      '0.weight': sd['0.weight'], '0.bias': sd['0.bias'], '1.weight': sd['1.weight'], '1.bias': sd['1.bias'],
      '1.runningMean': rm, '1.runningVar': rv, '3.key': key, '6.weight': sd['6.weight'], '6.bias': sd['6.bias'],
    };
    const path = join(dir, 'old-names.safetensors');
    await sg.io.saveCheckpoint(path, { tensors: old, metadata: { model: 'Sequential' } });
    sg.manualSeed(99);
    const m = MODELS.cnn();
    await sg.load(m, path);
    const got = m.stateDict();
    expect(Array.from(await got['1.running_mean'].data())).toEqual([0.5, -1, 2, 0.25]);
    expect(Array.from(await got['1.running_var'].data())).toEqual([1, 2, 3, 4]);
    expect(Array.from(await got['1.num_batches_tracked'].data())).toEqual([0]);
    expect(Array.from(await m.extraState()['3.key'].data())).toEqual([11, 22]);
    expect(Array.from(await got['6.weight'].data())).toEqual(Array.from(await sd['6.weight'].data()));
    // A name that is neither current nor legacy is still reported.
    await sg.io.saveCheckpoint(path, { tensors: { ...old, '1.runningMeen': rm } });
    await expect(sg.load(MODELS.cnn(), path)).rejects.toThrow(/runningMeen/);
  });
});

describe('a file saved by torch loads with sg.load', () => {
  for (const name of Object.keys(MODELS)) {
    it(`${name}: same outputs as torch (eval mode)`, async () => {
      const fx = await fixture(name);
      sg.manualSeed(123); // different from torch's weights: everything must come from the file
      const model = MODELS[name]();
      await sg.load(model, join(FIX, `${name}.safetensors`));
      model.eval();
      const y = model.forward(sg.tensor(Float32Array.from(fx.input.data), fx.input.shape));
      expect(y.shape).toEqual(fx.output.shape);
      const got = await y.data();
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - fx.output.data[i])).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(fx.output.data[i]));
    });
  }

  it('cnn: num_batches_tracked (I64 in the torch file) loads as 3', async () => {
    const ck = await sg.io.loadCheckpoint(join(FIX, 'cnn.safetensors'));
    expect(ck.tensors['1.num_batches_tracked'].sourceDtype).toBe('I64');
    const model = MODELS.cnn();
    await sg.load(model, join(FIX, 'cnn.safetensors'));
    const nbt = model.stateDict()['1.num_batches_tracked'];
    expect(nbt.dtype).toBe('i32');
    expect(Array.from(await nbt.data())).toEqual([3]);
  });
});

describe('a file saved by shadergrad has exactly torch\'s tensors', () => {
  for (const name of Object.keys(MODELS)) {
    it(`${name}: sg.save writes torch's keys, shapes and file dtypes, nothing else`, async () => {
      const fx = await fixture(name);
      const model = MODELS[name]();
      const path = join(dir, `${name}.safetensors`);
      await sg.save(model, path);
      const decoded = decodeSafetensors(new Uint8Array(await readFile(path)));
      const got = Object.entries(decoded.tensors).map(([k, t]) => ({ name: k, dtype: t.sourceDtype, shape: t.shape }));
      const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : 1);
      expect(got.sort(byName)).toEqual([...fx.keys].sort(byName));
    });
  }

  it('torch → shadergrad → file: the same values as the torch file', async () => {
    const model = MODELS.cnn();
    await sg.load(model, join(FIX, 'cnn.safetensors'));
    const path = join(dir, 'cnn-again.safetensors');
    await sg.save(model, path);
    const a = decodeSafetensors(new Uint8Array(await readFile(join(FIX, 'cnn.safetensors')))).tensors;
    const b = decodeSafetensors(new Uint8Array(await readFile(path))).tensors;
    for (const k of Object.keys(a)) expect(Array.from(b[k].data)).toEqual(Array.from(a[k].data));
  });

  it("dropout's key travels in the metadata: a loaded model draws the same masks", async () => {
    sg.manualSeed(5);
    const a = sg.nn.sequential(sg.nn.dropout(0.5));
    const path = join(dir, 'dropout.safetensors');
    await sg.save(a, path);
    const meta = (await sg.io.loadCheckpoint(path)).metadata;
    expect(Object.keys(meta.extraState as object)).toEqual(['0.key']);
    const x = sg.full([64], 1);
    const maskA = Array.from(await a.forward(x).data());
    sg.manualSeed(6);
    const b = sg.nn.sequential(sg.nn.dropout(0.5));
    const before = Array.from(await b.forward(x).data());
    await sg.load(b, path);
    expect(Array.from(await b.forward(x).data())).toEqual(maskA);
    expect(before).not.toEqual(maskA);
  });
});

describe('num_batches_tracked counts training forwards', () => {
  it('eagerly and in compiled steps; not in eval', async () => {
    const model = sg.nn.sequential(sg.nn.linear(3, 4), sg.nn.batchNorm1d(4), sg.nn.linear(4, 2));
    const count = async () => Array.from(await model.stateDict()['1.num_batches_tracked'].data())[0];
    const x = sg.tensor(Float32Array.from({ length: 15 }, (_, i) => Math.sin(i)), [5, 3]);
    await model.forward(x).data();
    await model.forward(x).data();
    expect(await count()).toBe(2);
    model.eval();
    await model.forward(x).data();
    expect(await count()).toBe(2);
    model.train();
    const plan = await sg.compile((xb, yb) => sg.crossEntropy(model.forward(xb), yb), {
      inputs: [{ shape: [5, 3] }, { shape: [5], dtype: 'i32' }], params: model.parameters(),
      optimizer: { stateCount: 0, update: (p, g) => ({ param: sg.sub(p, sg.scale(g, 0.01)), states: [] }), hyper: () => ({}) },
    });
    const X = Float32Array.from({ length: 15 }, (_, i) => Math.cos(i));
    for (let s = 0; s < 3; s++) plan.run(X, Int32Array.from([0, 1, 0, 1, 1]));
    await plan.flush();
    plan.dispose();
    expect(await count()).toBe(5);
  });
});

describe('safetensors I64', () => {
  it('writes i32 values sign-extended to 8 bytes and reads them back', () => {
    const out = encodeSafetensors({ n: { dtype: 'I64', shape: [2], data: new Int32Array([3, -2]) } });
    const header = '{"n":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}}';
    const pad = (8 - (header.length % 8)) % 8;
    expect(Array.from(out.subarray(8 + header.length + pad))).toEqual([3, 0, 0, 0, 0, 0, 0, 0, 254, 255, 255, 255, 255, 255, 255, 255]);
    const back = decodeSafetensors(out).tensors.n;
    expect(back.sourceDtype).toBe('I64');
    expect(Array.from(back.data)).toEqual([3, -2]);
  });
});

describe('exportPytorch', () => {
  it('writes the architecture as torch.nn code', () => {
    const model = sg.nn.sequential(
      sg.nn.conv2d(3, 8, 3, { padding: 1, stride: 2, bias: false }), sg.nn.batchNorm2d(8, { eps: 1e-3, momentum: 0.2 }),
      sg.nn.leakyRelu(0.1), sg.nn.maxPool2d(2), sg.nn.dropout(0.25),
      sg.nn.residual(sg.nn.sequential(sg.nn.conv2d(8, 8, [1, 3], { padding: [0, 1] }), sg.nn.gelu({ approximate: 'tanh' }))),
      sg.nn.globalAvgPool2d(), sg.nn.flatten(), sg.nn.layerNorm(8, { eps: 1e-6 }), sg.nn.linear(8, 10, { bias: false }),
      sg.nn.logSoftmax(),
    );
    const code = pytorchModelCode(model);
    expect(code).toContain(`def build_model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1, stride=2, bias=False),
        nn.BatchNorm2d(8, eps=0.001, momentum=0.2),
        nn.LeakyReLU(negative_slope=0.1),
        nn.MaxPool2d(kernel_size=2),
        nn.Dropout(p=0.25),
        Residual(nn.Sequential(
            nn.Conv2d(8, 8, (1, 3), padding=(0, 1)),
            nn.GELU(approximate='tanh'),
        )),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.LayerNorm(8, eps=0.000001),
        nn.Linear(8, 10, bias=False),
        nn.LogSoftmax(dim=-1),
    )
`);
    expect(code).toContain('class Residual(nn.Module):');
    expect(code).toContain('model.load_state_dict(read_safetensors(path), strict=True)');
    // No helper class when no residual is used.
    expect(pytorchModelCode(sg.nn.linear(2, 3))).not.toContain('class Residual');
    expect(pytorchModelCode(sg.nn.linear(2, 3))).toContain('    return nn.Linear(2, 3)\n');
  });

  it('writes transformer layers as torch.nn.TransformerEncoder / TransformerEncoderLayer / MultiheadAttention', () => {
    const layer = sg.nn.transformerEncoderLayer(8, 2, { dimFeedforward: 16, activation: 'gelu', batchFirst: true, normFirst: true, causal: true });
    const model = sg.nn.sequential(
      sg.nn.transformerEncoder(layer, 2, { norm: sg.nn.layerNorm(8) }),
      sg.nn.transformerEncoderLayer(8, 4, { dropout: 0, bias: false }), sg.nn.multiheadAttention(8, 2, { batchFirst: true, dropout: 0.1 }),
    );
    const code = pytorchModelCode(model);
    expect(code).toContain(`    return nn.Sequential(
        nn.TransformerEncoder(CausalTransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1, activation='gelu', batch_first=True, norm_first=True), 2, norm=nn.LayerNorm(8), enable_nested_tensor=False),
        nn.TransformerEncoderLayer(8, 4, dim_feedforward=2048, dropout=0, activation='relu', bias=False),
        SelfAttention(8, 2, dropout=0.1, batch_first=True),
    )
`);
    expect(code).toContain('class CausalTransformerEncoderLayer(nn.TransformerEncoderLayer):');
    expect(code).toContain('class SelfAttention(nn.MultiheadAttention):');
    expect(pytorchModelCode(sg.nn.transformerEncoderLayer(4, 2))).not.toContain('class CausalTransformerEncoderLayer');
  });

  it('names a layer with no torch.nn equivalent', () => {
    const model = sg.nn.sequential(sg.nn.linear(2, 2), new sg.nn.Lambda('Square', (x) => sg.mul(x, x)));
    expect(() => pytorchModelCode(model)).toThrow(/exportPytorch: module '1' \(Square\) has no torch.nn equivalent/);
  });

  it('writes model.py, model.safetensors (torch keys) and README.md; refuses to overwrite', async () => {
    const out = join(dir, 'export');
    const model = MODELS.cnn();
    const { files } = await exportPytorch(model, out);
    expect((await readdir(out)).sort()).toEqual(['README.md', 'model.py', 'model.safetensors']);
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(['model.py', 'model.safetensors', 'README.md']);
    const fx = await fixture('cnn');
    const tensors = decodeSafetensors(new Uint8Array(await readFile(join(out, 'model.safetensors')))).tensors;
    expect(Object.keys(tensors).sort()).toEqual(fx.keys.map((k) => k.name).sort());
    expect(await readFile(join(out, 'model.py'), 'utf8')).toBe(pytorchModelCode(model));
    await expect(exportPytorch(model, out)).rejects.toThrow(/already exist \(pass \{ overwrite: true \}/);
    await writeFile(join(out, 'model.py'), 'old');
    await exportPytorch(model, out, { overwrite: true });
    expect(await readFile(join(out, 'model.py'), 'utf8')).toBe(pytorchModelCode(model));
  });
});
