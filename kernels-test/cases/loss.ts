import type { Case } from '../harness.js';

export const cases: Case[] = [];
