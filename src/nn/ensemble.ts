// Ensembles: several trained classifiers answering together. Each member runs on the same input; their
// answers are combined in one of two ways:
//
//   'meanProb'  the mean of the members' softmax probabilities, [N, C] (Lakshminarayanan et al. 2017's
//               deep ensembles). The output is PROBABILITIES, not logits: rows sum to 1.
//   'vote'      majority vote: each member votes for its argmax class; the class with the most votes
//               wins, a tie between classes going to the one with the higher mean probability (and a
//               tie in that too to the lowest class index, as argmax does). The winner comes out
//               one-hot, f32 [N, C], so that it composes with everything that takes scores [N, C]
//               (sg.accuracy, sg.train.evaluate's accuracy and confusion matrix, metrics.f1, …).
//
// The members are held as a torch.nn.ModuleList named `members`: their parameters and buffers appear
// under `members.<i>.` (a Linear member's weight is 'members.0.weight'), as in a torch module with
// `self.members = nn.ModuleList(models)`. train() / eval() / parameters() / stateDict() reach every member.
//
// Training: train the members one by one (sg.train.fit on each, different seeds), then combine them.
// The outputs are not logits, so a loss that applies softmax (crossEntropy, fit's 'crossEntropy') does
// not fit them. To train 'meanProb' end to end, take the NLL of its log:
// crossEntropy(log(clamp(p, 1e-12)), y) = −log p_y, since log-softmax of log-probabilities that sum to 1
// leaves them unchanged. 'vote' has no gradient (its output is an index lookup): it is for evaluation.

import { Module } from './module.js';
import { ModuleList } from './transformer.js';
import type { Tensor } from '../tensor/tensor.js';
import { add, eq, scale, where } from '../ops/elementwise.js';
import { argmax, max } from '../ops/reduce.js';
import { softmax } from '../ops/softmax.js';
import { eye } from '../ops/creation.js';
import { indexSelect } from '../ops/index-ops.js';
import { fmtShape } from '../util/shape.js';
import { checkOptions, keysOf } from '../util/options.js';
import { OptionError, ShapeError, sgError } from '../util/errors.js';

// The accepted keys of this module's option bags, for checkOptions (src/util/options.ts).
export const ENSEMBLE_KEYS = keysOf<EnsembleOptions>({ mode: 1 });

export type EnsembleMode = 'meanProb' | 'vote';

export interface EnsembleOptions {
  /** 'meanProb' (default): mean softmax probabilities [N, C]; 'vote': the majority class, one-hot [N, C]. */
  mode?: EnsembleMode;
}

/** Members run on the same input; their class scores combined by mean probability or majority vote. */
export class Ensemble extends Module {
  readonly members: ModuleList;
  readonly mode: EnsembleMode;

  constructor(models: Module[], opts: EnsembleOptions = {}) {
    super('Ensemble');
    checkOptions('nn.ensemble', opts, ENSEMBLE_KEYS);
    const { mode = 'meanProb' } = opts;
    if (mode !== 'meanProb' && mode !== 'vote') {
      throw sgError(`nn.ensemble: mode must be 'meanProb' or 'vote', got ${JSON.stringify(mode)}`, OptionError);
    }
    if (!Array.isArray(models)) throw sgError(`nn.ensemble: models must be an array of modules, got ${typeof models}`);
    if (models.length === 0) throw sgError('nn.ensemble: models is empty; give at least one module');
    models.forEach((m, i) => {
      if (!(m instanceof Module)) throw sgError(`nn.ensemble: models[${i}] is not a module (got ${m === null ? 'null' : typeof m})`);
    });
    this.mode = mode;
    this.members = this.addChild('members', new ModuleList(models));
  }

  /** Every member's output on x, checked: f32 class scores [N, C], the same shape for all. */
  memberOutputs(x: Tensor): Tensor[] {
    const outs = this.members.items.map((m) => m.forward(x));
    outs.forEach((o, i) => {
      if (o.rank !== 2 || o.dtype !== 'f32') {
        throw sgError(`Ensemble: member ${i} (${o.name ?? this.members.items[i].kind}) returned ${o.describe()}; expected f32 class scores [N, C]`, ShapeError);
      }
      if (fmtShape(o.shape) !== fmtShape(outs[0].shape)) {
        throw sgError(`Ensemble: member ${i} returned scores ${fmtShape(o.shape)} but member 0 returned ${fmtShape(outs[0].shape)}; every member must output the same [N, C]`, ShapeError);
      }
    });
    return outs;
  }

  forward(x: Tensor): Tensor {
    const outs = this.memberOutputs(x);
    const C = outs[0].shape[1];
    // Mean of the members' softmax probabilities [N, C].
    let sum = softmax(outs[0], 1);
    for (const o of outs.slice(1)) sum = add(sum, softmax(o, 1));
    const meanProb = outs.length === 1 ? sum : scale(sum, 1 / outs.length);
    if (this.mode === 'meanProb') return meanProb;
    // Votes [N, C]: each member's argmax as a one-hot row (a row of the identity), summed.
    const oneHot = eye(C);
    let votes = indexSelect(oneHot, 0, argmax(outs[0], 1));
    for (const o of outs.slice(1)) votes = add(votes, indexSelect(oneHot, 0, argmax(o, 1)));
    // Among the classes with the most votes, the highest mean probability wins (argmax: lowest index on a tie).
    const top = eq(votes, max(votes, 1, true));
    const winner = argmax(where(top, meanProb, -1), 1);
    return indexSelect(oneHot, 0, winner);
  }
}

/**
 * sg.nn.ensemble(models, { mode }): a module whose forward runs every model on the same input and
 * returns the mean of their softmax probabilities ('meanProb', the default) or the majority-vote class
 * one-hot ('vote'), both f32 [N, C]. See the file header for the tie rule and how to take a loss.
 *
 *   const ens = sg.nn.ensemble([a, b, c]);                     // members.0.*, members.1.*, members.2.*
 *   const probs = ens.eval().forward(x);                       // [N, C], rows sum to 1
 *   const ece = await sg.metrics.expectedCalibrationError(probs, y);
 */
export const ensemble = (models: Module[], opts?: EnsembleOptions) => new Ensemble(models, opts);
