// Every case table, by kernel family. The Node suite and the Chromium page both run exactly these.
import type { Case } from '../harness.js';
import { cases as elementwise } from './elementwise.js';
import { cases as reduce } from './reduce.js';
import { cases as shape } from './shape.js';
import { cases as matmul } from './matmul.js';
import { cases as indexOps } from './index-ops.js';
import { cases as activation } from './activation.js';
import { cases as softmax } from './softmax.js';
import { cases as attention } from './attention.js';
import { cases as layernorm } from './layernorm.js';
import { cases as norm } from './norm.js';
import { cases as conv } from './conv.js';
import { cases as pool } from './pool.js';
import { cases as loss } from './loss.js';
import { cases as metrics } from './metrics.js';
import { cases as batchnorm } from './batchnorm.js';
import { cases as dropout } from './dropout.js';
import { cases as optim } from './optim.js';
import { cases as transformer } from './transformer.js';
import { cases as methods } from './methods.js';
import { cases as subgroups } from './subgroups.js';
import { cases as halfConv } from './half-conv.js';
import { cases as halfMatmul } from './half-matmul.js';
import { cases as halfNative } from './half-native.js';
import { cases as halfRows } from './half-rows.js';
import { cases as halfElementwise } from './half-elementwise.js';
import { cases as mixedPlans } from './mixed-plans.js';

export const tables: Record<string, Case[]> = {
  elementwise,
  reduce,
  shape,
  matmul,
  indexOps,
  activation,
  softmax,
  attention,
  layernorm,
  norm,
  conv,
  pool,
  loss,
  metrics,
  batchnorm,
  dropout,
  optim,
  transformer,
  methods,
  subgroups,
  halfConv,
  halfMatmul,
  halfNative,
  halfRows,
  halfElementwise,
  mixedPlans,
};
