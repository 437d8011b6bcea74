// Shape ops: reshape (a view), permute / transpose (shaders/permute.wgsl).
import * as sg from '../../src/index.js';
import type { Case } from '../harness.js';

export const cases: Case[] = [
  { name: 'transpose [3,5]', inputs: [[3, 5]], fn: (x) => sg.transpose(x) },
  { name: 'transpose [1,7]', inputs: [[1, 7]], fn: (x) => sg.transpose(x) },
  { name: 'permute [2,3,4] -> [2,0,1]', inputs: [[2, 3, 4]], fn: (x) => sg.permute(x, [2, 0, 1]) },
  { name: 'permute rank 5', inputs: [[2, 3, 1, 2, 3]], fn: (x) => sg.permute(x, [4, 2, 0, 3, 1]) },
  { name: 'transpose dims 0,2 of [3,2,5]', inputs: [[3, 2, 5]], fn: (x) => sg.transpose(x, 0, 2) },
  // The last dimension stays contiguous: permute_rows on a software adapter (runs of 5, of 4 × 3 = 12).
  { name: 'split heads [2,3,2,5] -> [0,2,1,3]', inputs: [[2, 3, 2, 5]], fn: (x) => sg.permute(x, [0, 2, 1, 3]) },
  { name: 'qkv split [2,3,3,2,4] -> [2,0,3,1,4]', inputs: [[2, 3, 3, 2, 4]], fn: (x) => sg.permute(x, [2, 0, 3, 1, 4]) },
  { name: 'merged run [3,2,4,3] -> [1,0,2,3]', inputs: [[3, 2, 4, 3]], fn: (x) => sg.permute(x, [1, 0, 2, 3]) },
  { name: 'reshape then relu', inputs: [[6, 4]], fn: (x) => sg.relu(sg.reshape(x, [3, -1, 2])) },
  { name: 'flatten and unsqueeze', inputs: [[2, 3, 4]], fn: (x) => sg.unsqueeze(sg.flatten(x, 1), 0) },
];
