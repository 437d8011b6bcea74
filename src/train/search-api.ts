// sg.search: hyper-parameter search (src/train/search.ts), without its internals.
export {
  run, gridConfigs, randomConfigs,
  type Space, type Config, type Metrics, type SearchOptions, type TrialRecord, type SearchResult,
} from './search.js';
