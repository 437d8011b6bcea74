// The tiny GPT page's worker: the text is loaded and tokenised here, the model is built, compiled and
// trained here, and samples and attention maps are computed here; the page (main.ts) drives it through
// sg.worker.spawn's proxy and only draws.
//
//   build(config)           load the corpus, make the windows and the GPT (serve's `model` function)
//   call('train', config)   compile the training and validation plans, then run the steps: a 'losses'
//                           event per read-back window, a 'val' event every `evalEvery` steps; proxy.pause()
//                           / stop() act after the step in flight (ctx.step)
//   call('sample', t, seed) / call('attention', text, layer) / call('mobyDick')
//
// GPU work of the methods goes through one queue (`serial`), one training step at a time, so a sample
// asked for during training runs between two steps and sees one step's weights.
import * as sg from 'shadergrad';
import { MOBY_CHARS, type AttentionView, type Config, type TaskInfo } from './config.js';


interface Task {
  info: TaskInfo;
  tokenizer: sg.data.text.CharTokenizer;
  /** Training windows (shuffled): x, y [n, T], y = x shifted by one character. */
  train: sg.data.TokenDataset;
  /** Non-overlapping validation windows, a whole number of batches: every character scored once. */
  val: sg.data.TokenDataset;
  /** Names: the '.' token that starts and ends a name. */
  boundary?: number;
  prompt: string;
}

/** Non-overlapping windows of a token stream (at most `max`, a multiple of `multiple`). */
function streamWindows(ids: Int32Array, T: number, max: number, multiple: number): sg.data.TokenDataset {
  const available = Math.floor((ids.length - 1) / T);
  const n = Math.min(available, max) - (Math.min(available, max) % multiple);
  if (n < 1) throw new Error(`${ids.length} validation characters make fewer than one batch of ${multiple} windows of ${T}`);
  // languageModelDataset with stride T: windows in order, each token after the first a target once.
  const all = sg.data.text.languageModelDataset(ids, { blockSize: T, stride: T, valFraction: 0, shuffle: false }).train;
  return { ...all, x: all.x.subarray(0, n * T), y: (all.y as Int32Array).subarray(0, n * T), length: n };
}

async function loadTask(cfg: Config): Promise<Task> {
  const B = cfg.batchSize;
  if (cfg.corpus === 'names') {
    const names = await sg.data.text.firstNames();
    const T = 16;
    const d = sg.data.text.namesDataset(names, { blockSize: T, seed: cfg.seed, valFraction: 0.1 });
    const val = streamWindows(d.valIds, T, cfg.valBatches * B, B);
    return {
      tokenizer: d.tokenizer, train: d.train, val, boundary: 0, prompt: '.',
      info: {
        corpus: 'names', vocab: [...d.tokenizer.vocab], blockSize: T, attentionText: '.emma.olivia.',
        bigram: sg.data.text.bigramBaseline(d.trainIds, d.valIds.subarray(0, val.length * T + 1), d.tokenizer.size),
        about: `${d.trainNames.length} training names, ${d.valNames.length} held out (${val.length * T} characters scored)`,
      },
    };
  }
  const text = (await sg.data.text.mobyDick()).slice(0, MOBY_CHARS);
  const tokenizer = sg.data.text.charTokenizer(text);
  const T = 64;
  const d = sg.data.text.languageModelDataset(tokenizer.encode(text), { blockSize: T, stride: 8, seed: cfg.seed, valFraction: 0.1, vocabSize: tokenizer.size });
  const val = streamWindows(d.valIds, T, cfg.valBatches * B, B);
  return {
    tokenizer, train: d.train, val, prompt: 'Call me',
    info: {
      corpus: 'moby', vocab: [...tokenizer.vocab], blockSize: T, attentionText: 'Call me Ishmael. Some years ago, never mind how long',
      bigram: sg.data.text.bigramBaseline(d.trainIds, d.valIds.subarray(0, val.length * T + 1), tokenizer.size),
      about: `the first ${text.length.toLocaleString('en')} characters of Moby Dick: ${d.trainIds.length.toLocaleString('en')} to train on (windows every 8), ${(val.length * T).toLocaleString('en')} scored for validation`,
    },
  };
}

/** One queue for the GPU work of every method: f starts when everything queued before it has finished. */
let tail: Promise<unknown> = Promise.resolve();
function serial<T>(f: () => Promise<T>): Promise<T> {
  const p = tail.then(f);
  tail = p.catch(() => undefined);
  return p;
}

let task: Task | undefined;
const needTask = () => {
  if (!task) throw new Error('build the model first');
  return task;
};

/** Validation loss: the eval plan over every validation batch. */
async function validate(evalPlan: sg.Plan, t: Task, B: number): Promise<number> {
  const T = t.info.blockSize;
  const batches = t.val.length / B;
  let total = 0;
  for (let s = 0; s < batches; s++) {
    evalPlan.run(t.val.x.subarray(s * B * T, (s + 1) * B * T), t.val.y.subarray(s * B * T, (s + 1) * B * T));
    if (s % 32 === 31 || s === batches - 1) total += (await evalPlan.drain()).reduce((a, r) => a + r.values.loss[0], 0);
  }
  return total / batches;
}

sg.worker.serve<Config>({
  model: async (cfg) => {
    task = await loadTask(cfg);
    return sg.models.gpt({ vocab: task.tokenizer.size, blockSize: task.info.blockSize, layers: 2, heads: 4, dim: 64, dropout: 0, seed: cfg.seed });
  },
  optimizer: (model, cfg) => sg.optim.adamW(model.parameters(), { lr: cfg.lr, weightDecay: 0.01 }),
  methods: {
    info: () => needTask().info,

    train: async (ctx) => {
      const cfg = ctx.config;
      const t = needTask();
      const model = ctx.model as sg.models.GPT;
      const T = t.info.blockSize;
      const B = cfg.batchSize;
      const t0 = performance.now();
      const inputs = [{ shape: [B, T], dtype: 'i32' as const, name: 'x' }, { shape: [B, T], dtype: 'i32' as const, name: 'y' }];
      const trainPlan = await sg.compile((x, y) => model.loss(x, y), { inputs, params: ctx.optimizer.params, optimizer: ctx.optimizer, readEvery: 1, label: 'gpt training step' });
      model.eval();
      const evalPlan = await sg.compile((x, y) => model.loss(x, y), { inputs, readEvery: 1, label: 'gpt validation step' });
      model.train();
      ctx.emit('compiled', { seconds: (performance.now() - t0) / 1000, dispatches: trainPlan.size, evalDispatches: evalPlan.size });

      // Batches: the training windows in a seeded order, reshuffled every pass.
      const nTrain = t.train.length;
      let order = new sg.Random(cfg.seed).permutation(nTrain);
      let cursor = 0;
      let pass = 0;
      const xb = new Int32Array(B * T);
      const yb = new Int32Array(B * T);
      const nextBatch = () => {
        for (let b = 0; b < B; b++) {
          if (cursor === nTrain) {
            order = new sg.Random(cfg.seed + ++pass).permutation(nTrain);
            cursor = 0;
          }
          const w = order[cursor++];
          xb.set(t.train.x.subarray(w * T, (w + 1) * T), b * T);
          yb.set(t.train.y.subarray(w * T, (w + 1) * T), b * T);
        }
      };
      const flopsPerStep = sg.train.planFlops(trainPlan);
      let step = 0;
      let trainSeconds = 0;
      let windowStart = performance.now();
      let windowSteps = 0;
      // Losses read back every 16 steps (and before a pause or the end): one 'losses' event each.
      const readBack = () => serial(async () => {
        const records = await trainPlan.drain();
        if (!records.length) return;
        const seconds = (performance.now() - windowStart) / 1000;
        trainSeconds += seconds;
        ctx.emit('losses', {
          points: records.map((r) => [r.step, r.values.loss[0]]), step, charsPerSecond: (windowSteps * B * T) / seconds,
          cost: sg.train.trainingCost(flopsPerStep, step, trainSeconds),
        });
        windowSteps = 0;
      });
      const evaluate = async () => ctx.emit('val', { step, loss: await serial(() => validate(evalPlan, t, B)) });
      let evaluatedAt = 0;
      try {
        await evaluate();
        windowStart = performance.now();
        while (step < cfg.steps) {
          await serial(async () => {
            nextBatch();
            trainPlan.run(xb, yb);
          });
          step++;
          windowSteps++;
          if (step % 16 === 0 || step === cfg.steps) await readBack();
          if (step - evaluatedAt >= cfg.evalEvery || step === cfg.steps) {
            await evaluate();
            evaluatedAt = step;
            windowStart = performance.now();
          }
          // Pause (parks here, its losses read back first) or stop, within one step.
          if (await ctx.step({ epoch: 1, step }, readBack)) break;
          if (windowSteps === 0) windowStart = performance.now(); // resumed after a pause: a new window
        }
        await readBack();
        if (step > evaluatedAt) await evaluate(); // stopped between two
        return { steps: step, stopped: step < cfg.steps };
      } finally {
        trainPlan.dispose();
        evalPlan.dispose();
      }
    },

    /** Names: samples from the boundary to the next one. The book: one passage from the prompt. */
    sample: (ctx, temperature: number, seed: number) => serial(async () => {
      const t = needTask();
      const model = ctx.model as sg.models.GPT;
      const tok = t.tokenizer;
      const short = ctx.config.short;
      if (t.boundary !== undefined) {
        const out: string[] = [];
        for (let i = 0; i < (short ? 4 : 8); i++) {
          const ids = await model.generate([t.boundary], { maxTokens: 20, temperature, seed: seed + i, stopToken: t.boundary });
          const end = ids[ids.length - 1] === t.boundary && ids.length > 1 ? ids.length - 1 : ids.length;
          out.push(tok.decode(ids.subarray(1, end)));
        }
        return out;
      }
      const ids = await model.generate(tok.encode(t.prompt), { maxTokens: short ? 40 : 200, temperature, seed });
      return [tok.decode(ids)];
    }),

    /** The attention weights of `layer` for `text` (its characters in the vocabulary, at most blockSize). */
    attention: (ctx, text: string, layer: number) => serial(async (): Promise<unknown> => {
      const t = needTask();
      const model = ctx.model as sg.models.GPT;
      const vocab = new Set(t.info.vocab);
      const all = Array.from(text);
      const dropped = [...new Set(all.filter((c) => !vocab.has(c)))];
      const chars = all.filter((c) => vocab.has(c)).slice(0, t.info.blockSize);
      if (chars.length === 0) return { chars, layer, heads: 0, weights: new Float32Array(0), dropped } satisfies AttentionView;
      const was = model.training;
      model.eval(); // the graph is built now, in eval mode; the data is read after
      const maps = sg.tidy(() => model.attentionMaps(sg.tensor(t.tokenizer.encode(chars.join('')), [1, chars.length], { dtype: 'i32' }), layer));
      model.train(was);
      const weights = (await maps.data()) as Float32Array;
      const view: AttentionView = { chars, layer, heads: maps.shape[0], weights, dropped };
      maps.dispose();
      return sg.worker.transfer(view, [weights.buffer]);
    }),

    /** The book loads in the worker (its own chunks): its length and first characters. */
    mobyDick: async () => {
      const book = await sg.data.text.mobyDick();
      return { chars: book.length, start: book.slice(0, 40) };
    },
  },
});
