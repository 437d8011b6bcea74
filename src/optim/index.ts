// sg.optim — optimizers and learning-rate schedules.
export {
  Optimizer, SGD, RMSprop, Adam, sgd, rmsprop, adam, adamW, type CommonOptions, type ParamGroup, type SgdOptions,
  type RmspropOptions, type AdamOptions,
} from './optimizers.js';
export { Adagrad, adagrad, type AdagradOptions, type AdagradArgs } from './optimizers.js';
export {
  constant, stepLR, multiStepLR, exponentialLR, cosineAnnealing, linearLR, inverseSqrt, warmup,
  reduceOnPlateau, lrCurve, type Scheduler, type PlateauOptions, type PlateauScheduler,
} from './schedulers.js';
export { cosineAnnealingWarmRestarts, polynomialLR, constantLR, lambdaLR, multiplicativeLR } from './schedulers.js';
