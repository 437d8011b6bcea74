// Runs every case table (kernels-test/cases) against the CPU references in Node, through Dawn: the
// half-precision storage tables (half*) in kernels-half.test.ts, all others here — two files, so that
// vitest runs them in two processes at once (vitest.config.ts); between them every table runs.
// One table: npx vitest run kernels-test/node/kernels -t "^<table> " (the path matches both files).
import { tables } from '../cases/index.js';
import { describeTables, isHalfTable } from './table-suite.js';

describeTables(Object.keys(tables).filter((t) => !isHalfTable(t)));
