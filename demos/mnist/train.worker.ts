// The MNIST page's worker: the digits are loaded and decoded here, the model trains here (sg.train.fit),
// and the page drives it through sg.worker.spawn's proxy — so the page's own thread only draws.
import * as sg from 'shadergrad';
import { buildModel, buildOptimizer, type BuildConfig } from './model.js';

/** One seeded draw of `count` digits, split 90 / 10 (stratified); cached per count. */
const splits = new Map<number, Promise<{ train: sg.data.Dataset; val: sg.data.Dataset }>>();
function split(count: number) {
  let s = splits.get(count);
  if (!s) {
    s = sg.data.mnist({ count, seed: 1 }).then((ds) => {
      const parts = sg.data.trainValTestSplit(ds, { val: 0.1, seed: 1, stratify: true });
      return { train: parts.train, val: parts.val };
    });
    splits.set(count, s);
  }
  return s;
}

sg.worker.serve<BuildConfig>({
  model: (c) => buildModel(c.model, c.hidden),
  optimizer: (model, c) => buildOptimizer(c, model.parameters()),
  data: {
    train: async (args) => (await split((args as { count: number }).count)).train,
    val: async (args) => (await split((args as { count: number }).count)).val,
    /** A separate seeded draw, for the page's self-test. */
    probe: (args) => sg.data.mnist(args as { count: number; seed: number }),
  },
  methods: {
    /** The first n validation digits (pixels and labels), for the page's sample strip. */
    samples: async (_ctx, count: number, n: number) => {
      const { val } = await split(count);
      const k = Math.min(n, val.length);
      const x = val.x.slice(0, k * 784) as Float32Array;
      const y = (val.y as Int32Array).slice(0, k);
      return sg.worker.transfer({ x, y }, [x.buffer, y.buffer]);
    },
    /** Set every parameter to zero (the self-test's scramble before restoring a checkpoint). */
    zeroWeights: async (ctx) => {
      for (const t of ctx.model.parameters()) await sg.assign(t, sg.zerosLike(t));
    },
  },
});
