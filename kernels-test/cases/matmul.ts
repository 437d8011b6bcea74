// Matmul (shaders/matmul.wgsl), every version: naive, tiled, tiled_vec4 (and auto), with sizes
// 1, 7, 31, 64, 129 and 33×65×17, transposes and broadcast batches.
import * as sg from '../../src/index.js';
import type { Case } from '../harness.js';
import type { MatmulVersion } from '../../src/index.js';

const versions: MatmulVersion[] = ['naive', 'tiled', 'vec4'];
const cases: Case[] = [];
for (const version of versions) {
  for (const n of [1, 7, 31, 64, 129]) {
    cases.push({ name: `${version} ${n}×${n}×${n}`, inputs: [[n, n], [n, n]], fn: (a, b) => sg.matmul(a, b, { version }), atol: 1e-4, rtol: 1e-4 });
  }
  cases.push({ name: `${version} 33×65×17`, inputs: [[33, 65], [65, 17]], fn: (a, b) => sg.matmul(a, b, { version }), atol: 1e-4 });
  cases.push({ name: `${version} 33×65×20 (N % 4 = 0)`, inputs: [[33, 65], [65, 20]], fn: (a, b) => sg.matmul(a, b, { version }), atol: 1e-4 });
  cases.push({ name: `${version} transA 17×9×12`, inputs: [[9, 17], [9, 12]], fn: (a, b) => sg.matmul(a, b, { transA: true, version }), atol: 1e-4 });
  cases.push({ name: `${version} transB 5×70×13`, inputs: [[5, 70], [13, 70]], fn: (a, b) => sg.matmul(a, b, { transB: true, version }), atol: 1e-4 });
  cases.push({ name: `${version} transA transB 66×3×8`, inputs: [[3, 66], [8, 3]], fn: (a, b) => sg.matmul(a, b, { transA: true, transB: true, version }), atol: 1e-4 });
  cases.push({ name: `${version} batched [3,5,7]×[3,7,4]`, inputs: [[3, 5, 7], [3, 7, 4]], fn: (a, b) => sg.matmul(a, b, { version }), atol: 1e-4 });
  cases.push({ name: `${version} broadcast batch [2,3,4,5]×[5,6]`, inputs: [[2, 3, 4, 5], [5, 6]], fn: (a, b) => sg.matmul(a, b, { version }), atol: 1e-4 });
}
cases.push({ name: 'auto partial batch broadcast [2,1,3,4]×[1,3,4,2]', inputs: [[2, 1, 3, 4], [1, 3, 4, 2]], fn: (a, b) => sg.matmul(a, b), atol: 1e-4 });
cases.push({ name: 'auto vector·matrix [5]×[5,3]', inputs: [[5], [5, 3]], fn: (a, b) => sg.matmul(a, b) });
cases.push({ name: 'auto matrix·vector [4,5]×[5]', inputs: [[4, 5], [5]], fn: (a, b) => sg.matmul(a, b) });
cases.push({ name: 'MLP layer relu(x·Wᵀ + b)', inputs: [[8, 13], [6, 13], [6]], fn: (x, w, b) => sg.relu(sg.add(sg.matmul(x, w, { transB: true }), b)), atol: 1e-4 });

export { cases };
