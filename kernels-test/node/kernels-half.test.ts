// Runs the half-precision storage case tables (kernels-test/cases/half-*.ts) against the CPU
// references in Node, through Dawn; kernels.test.ts runs the other tables.
import { tables } from '../cases/index.js';
import { describeTables, isHalfTable } from './table-suite.js';

describeTables(Object.keys(tables).filter(isHalfTable));
