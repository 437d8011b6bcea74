// The `shadergrad` command line: one flag table per command, parsed with node:util parseArgs in strict
// mode, then every value checked (numbers, ranges, choices) before anything runs. A bad command line is
// a UsageError: main() prints its message (no stack trace) and exits with code 2.

import { parseArgs } from 'node:util';
import { suggestName } from '../util/options.js';
import { ShadergradError } from '../util/errors.js';

export class UsageError extends ShadergradError {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Kind =
  | { type: 'int'; min: number }
  | { type: 'number'; min: number; exclusiveMin?: boolean }
  | { type: 'choice'; choices: readonly string[] }
  | { type: 'string'; metavar: string }
  | { type: 'boolean' };

interface Flag {
  kind: Kind;
  short?: string;
  default?: number | string;
  help: string;
}

export const MODELS = ['cnn', 'mlp', 'vit'] as const;
export const DATASETS = ['mnist', 'spiral', 'moons', 'circles', 'xor'] as const;
/** train also has the text and contrastive models: gpt on names / moby-dick, clip on mnist. */
export const TRAIN_MODELS = [...MODELS, 'gpt', 'clip'] as const;
export const TRAIN_DATASETS = [...DATASETS, 'names', 'moby-dick'] as const;
export const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'momentum', 'nesterov', 'rmsprop', 'adagrad'] as const;
export const PRECISIONS = ['f32', 'mixed'] as const;
export const SCHEDULERS = ['cosine', 'constant', 'step', 'exponential', 'linear', 'inverse-sqrt', 'plateau', 'warm-restarts', 'polynomial'] as const;

const help: Flag = { kind: { type: 'boolean' }, short: 'h', help: 'print this help and exit' };
const int = (min: number, def: number | undefined, text: string): Flag => ({ kind: { type: 'int', min }, default: def, help: text });

export const COMMANDS = {
  train: {
    summary: 'train a model and write metrics.jsonl, model.safetensors (every epoch) and report.html to --out',
    usage: 'shadergrad train [flags]\n       shadergrad train --resume DIR [--epochs N]',
    flags: {
      model: { kind: { type: 'choice', choices: TRAIN_MODELS }, default: 'cnn', help: 'the model (gpt: a tiny GPT on --dataset names or moby-dick; clip: contrastive image-text training on mnist)' },
      dataset: { kind: { type: 'choice', choices: TRAIN_DATASETS }, default: 'mnist', help: 'the dataset' },
      epochs: int(1, 2, 'epochs to train (with --resume: the new total)'),
      'batch-size': int(1, 32, 'samples per step'),
      lr: { kind: { type: 'number', min: 0, exclusiveMin: true }, default: 2e-3, help: 'base learning rate' },
      optimizer: { kind: { type: 'choice', choices: OPTIMIZERS }, default: 'adam', help: 'the optimizer' },
      scheduler: { kind: { type: 'choice', choices: SCHEDULERS }, default: 'cosine', help: 'the learning-rate schedule (per epoch)' },
      'weight-decay': { kind: { type: 'number', min: 0 }, default: 0, help: 'weight decay (adamw: 0.01 when 0)' },
      seed: int(0, 1, 'seed for the initialisation, the split and the shuffling'),
      count: int(1, 6000, 'samples to load (a 10 % test split is held out; names: names, moby-dick: hundreds of characters)'),
      patience: int(1, 3, 'early stopping: epochs without a better validation loss'),
      out: { kind: { type: 'string', metavar: 'DIR' }, default: 'runs/latest', help: 'run directory; it must not hold a run already' },
      resume: { kind: { type: 'string', metavar: 'DIR' }, help: 'continue the run in DIR from its last checkpoint (model, optimizer state, schedule, epoch), appending to its metrics' },
      precision: { kind: { type: 'choice', choices: PRECISIONS }, default: 'f32', help: "the training step's storage: f32, or mixed (f16 activations and gradients, loss scaling; cnn, mlp, vit)" },
      ensemble: int(1, 1, 'train N models from the seeds seed … seed + N − 1 and combine them: one report with each member, the ensemble and the calibration gain'),
      teacher: { kind: { type: 'string', metavar: 'DIR' }, help: 'knowledge distillation: a trained run (same dataset, count and seed) whose model teaches this one; also trains the student without it for comparison' },
      temperature: { kind: { type: 'number', min: 0, exclusiveMin: true }, default: 2, help: 'distillation temperature T (with --teacher)' },
      alpha: { kind: { type: 'number', min: 0 }, default: 0.5, help: 'distillation: the weight of the soft (teacher) term, in [0, 1] (with --teacher)' },
      help,
    },
  },
  explain: {
    summary: "compile one training step and print the plan's dispatches (with --profile, their timings)",
    usage: 'shadergrad explain [flags]',
    flags: {
      model: { kind: { type: 'choice', choices: MODELS }, default: 'cnn', help: 'the model' },
      'batch-size': int(1, 64, 'samples per step'),
      profile: { kind: { type: 'boolean' }, help: 'time each dispatch' },
      precision: { kind: { type: 'choice', choices: PRECISIONS }, default: 'f32', help: 'f32, or mixed: f16 storage where the kernels can (rows tagged h), loss scaling' },
      help,
    },
  },
  search: {
    summary: 'hyper-parameter search over short trials (lr, batch size, optimizer); prints each trial as it finishes',
    usage: 'shadergrad search [flags]',
    flags: {
      model: { kind: { type: 'choice', choices: MODELS }, default: 'mlp', help: 'the model' },
      dataset: { kind: { type: 'choice', choices: DATASETS }, default: 'spiral', help: 'the dataset' },
      trials: int(1, 6, 'number of trials'),
      epochs: int(1, 5, 'epochs per trial'),
      mode: { kind: { type: 'choice', choices: ['random', 'grid'] }, default: 'random', help: 'random or grid search' },
      count: int(1, 2000, 'samples to load'),
      seed: int(0, 1, 'search seed'),
      out: { kind: { type: 'string', metavar: 'DIR' }, default: 'runs/search', help: 'trials.jsonl is appended here' },
      help,
    },
  },
  curve: {
    summary: 'sample efficiency: train on growing seeded subsets, plot test accuracy and the train/validation gap against samples',
    usage: 'shadergrad curve [flags]',
    flags: {
      model: { kind: { type: 'choice', choices: MODELS }, default: 'cnn', help: 'the model' },
      dataset: { kind: { type: 'choice', choices: DATASETS }, default: 'mnist', help: 'the dataset' },
      fractions: { kind: { type: 'string', metavar: 'F,F,...' }, default: '0.05,0.1,0.25,0.5,1', help: 'fractions of the training split, increasing, each in (0, 1]' },
      epochs: int(1, 2, 'epochs per subset'),
      'batch-size': int(1, 32, 'samples per step'),
      lr: { kind: { type: 'number', min: 0, exclusiveMin: true }, default: 2e-3, help: 'learning rate' },
      optimizer: { kind: { type: 'choice', choices: OPTIMIZERS }, default: 'adam', help: 'the optimizer' },
      seed: int(0, 1, 'seed for the split, the subsets, the initialisation and the shuffling'),
      count: int(1, 6000, 'samples to load (a 10 % test split is held out)'),
      out: { kind: { type: 'string', metavar: 'DIR' }, default: 'runs/curve', help: 'curve.jsonl, config.json and report.html are written here' },
      help,
    },
  },
  evaluate: {
    summary: "score a trained run's model on its test split (accuracy, ROC / PR per class); --ood: how well it tells test digits from OOD images",
    usage: 'shadergrad evaluate --run DIR [--ood noise|inverted|spiral] [--method maxSoftmax|energy]',
    flags: {
      run: { kind: { type: 'string', metavar: 'DIR' }, default: 'runs/latest', help: 'the run (from shadergrad train) to evaluate; evaluate.html is written there' },
      ood: { kind: { type: 'choice', choices: ['noise', 'inverted', 'spiral'] }, help: 'an out-of-distribution set to tell apart from the test split (MNIST runs): uniform noise, inverted digits, spirals drawn as images' },
      method: { kind: { type: 'choice', choices: ['maxSoftmax', 'energy'] }, default: 'maxSoftmax', help: 'the OOD score: the largest softmax probability, or T·logsumexp(logits/T) with T = 1' },
      help,
    },
  },
  prune: {
    summary: "prune a trained run's model at several amounts and report its size and test accuracy",
    usage: 'shadergrad prune --run DIR [--amount F,F,...] [--structured] [--finetune-epochs N]',
    flags: {
      run: { kind: { type: 'string', metavar: 'DIR' }, default: 'runs/latest', help: 'the run (from shadergrad train) whose model is pruned' },
      amount: { kind: { type: 'string', metavar: 'F,F,...' }, default: '0.5,0.7,0.9', help: 'fractions to prune, each in [0, 1)' },
      structured: { kind: { type: 'boolean' }, help: 'prune whole units / channels (L2) and compact the model, instead of single weights (global L1)' },
      'finetune-epochs': int(0, 0, 'epochs of training after pruning (pruned weights stay 0)'),
      help,
    },
  },
  export: {
    summary: 'write a trained run as PyTorch code: model.py (torch.nn) beside model.safetensors',
    usage: 'shadergrad export --pytorch DIR [--run RUN_DIR] [--overwrite]',
    flags: {
      pytorch: { kind: { type: 'string', metavar: 'DIR' }, help: 'write model.py, model.safetensors and README.md here (required)' },
      run: { kind: { type: 'string', metavar: 'DIR' }, default: 'runs/latest', help: 'the run (from shadergrad train) to export' },
      overwrite: { kind: { type: 'boolean' }, help: 'replace the files if DIR has them' },
      help,
    },
  },
} satisfies Record<string, { summary: string; usage: string; flags: Record<string, Flag> }>;

export type Command = keyof typeof COMMANDS;
/** The parsed flags of each command (camelCase); flags without a default are undefined unless given. */
export interface CommandFlags {
  train: {
    model: string; dataset: string; epochs: number; batchSize: number; lr: number; optimizer: string; scheduler: string;
    weightDecay: number; seed: number; count: number; patience: number; out: string; resume?: string; precision: string;
    teacher?: string; temperature: number; alpha: number; ensemble: number;
  };
  explain: { model: string; batchSize: number; profile: boolean; precision: string };
  search: { model: string; dataset: string; trials: number; epochs: number; mode: string; count: number; seed: number; out: string };
  curve: { model: string; dataset: string; fractions: string; epochs: number; batchSize: number; lr: number; optimizer: string; seed: number; count: number; out: string };
  evaluate: { run: string; ood?: string; method: string };
  prune: { run: string; amount: string; structured: boolean; finetuneEpochs: number };
  export: { pytorch?: string; run: string; overwrite: boolean };
}
export type Flags<C extends Command> = CommandFlags[C];

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

export const GENERAL_HELP = `shadergrad — train neural networks with WebGPU compute shaders

usage: shadergrad <command> [flags]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`).join('\n')}

  shadergrad <command> --help   the command's flags
  shadergrad --version          the version
`;

export function commandHelp(cmd: Command): string {
  const c = COMMANDS[cmd];
  const rows = Object.entries(c.flags as Record<string, Flag>).map(([name, f]) => {
    const k = f.kind;
    const value = k.type === 'int' ? ' N' : k.type === 'number' ? ' X' : k.type === 'string' ? ` ${k.metavar}` : k.type === 'choice' ? ` ${k.choices.join('|')}` : '';
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${value}`;
    const def = f.default !== undefined ? ` (default ${f.default})` : '';
    return `  ${left.padEnd(34)} ${f.help}${def}`;
  });
  return `shadergrad ${cmd} — ${c.summary}\n\nusage: ${c.usage}\n\nflags:\n${rows.join('\n')}\n`;
}

/** `--epochs` rather than parseArgs' "Option '--epochs <value>'" wording. */
function flagOf(message: string): string | undefined {
  return /'(-{1,2}[^' <]+)/.exec(message)?.[1];
}

/**
 * Parse and check the flags of `cmd`. Returns the values (defaults filled in), which flags were given
 * on the command line, and whether --help was asked for (then nothing else is checked).
 */
export function parseCommand<C extends Command>(cmd: C, argv: string[]): { flags: Flags<C>; given: Set<string>; help: boolean } {
  const spec = COMMANDS[cmd].flags as Record<string, Flag>;
  const where = `shadergrad ${cmd}`;
  const options = Object.fromEntries(Object.entries(spec).map(([name, f]) => [
    name, { type: f.kind.type === 'boolean' ? 'boolean' as const : 'string' as const, ...(f.short ? { short: f.short } : {}) },
  ]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (e) {
    const err = e as Error & { code?: string };
    const flag = flagOf(err.message);
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag) {
      const known = Object.keys(spec).map((n) => `--${n}`);
      const { name } = suggestName(flag.replace(/^-+/, ''), Object.keys(spec));
      throw new UsageError(`${where}: unknown flag ${flag}${name ? ` (did you mean --${name}?)` : ` (flags: ${known.join(' ')})`}`, cmd);
    }
    if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag) {
      const f = spec[flag.replace(/^-+/, '')];
      if (f && f.kind.type === 'boolean') throw new UsageError(`${where}: ${flag} takes no value`, cmd);
      throw new UsageError(`${where}: ${flag} needs a value${f ? ` (${describeKind(f.kind)})` : ''}; write a value starting with '-' as ${flag}=-1`, cmd);
    }
    throw new UsageError(`${where}: ${err.message}`, cmd);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { flags: {} as Flags<C>, given: new Set(['help']), help: true };
  if (parsed.positionals.length) {
    throw new UsageError(`${where}: unexpected argument '${parsed.positionals[0]}' (flags are written --name value)`, cmd);
  }
  const out: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [name, f] of Object.entries(spec)) {
    if (name === 'help') continue;
    const raw = values[name];
    if (raw !== undefined) given.add(name);
    out[camel(name)] = raw === undefined ? f.default : convert(where, name, f.kind, raw);
  }
  return { flags: out as Flags<C>, given, help: false };
}

function describeKind(k: Kind): string {
  switch (k.type) {
    case 'int': return `an integer ≥ ${k.min}`;
    case 'number': return `a number ${k.exclusiveMin ? '>' : '≥'} ${k.min}`;
    case 'choice': return `one of ${k.choices.join(', ')}`;
    case 'string': return k.metavar;
    case 'boolean': return 'no value';
  }
}

function convert(where: string, name: string, k: Kind, raw: string | boolean): unknown {
  if (k.type === 'boolean') return raw === true;
  const s = String(raw);
  const bad = () => new UsageError(`${where}: --${name} must be ${describeKind(k)}, got '${s}'`, where.split(' ')[1]);
  switch (k.type) {
    case 'int':
    case 'number': {
      if (!NUMBER.test(s.trim())) throw bad();
      const v = Number(s);
      if (!Number.isFinite(v) || (k.type === 'int' && !Number.isInteger(v))) throw bad();
      if (k.type === 'int' ? v < k.min : k.exclusiveMin ? !(v > k.min) : v < k.min) throw bad();
      return v;
    }
    case 'choice': {
      if (k.choices.includes(s)) return s;
      const { name: near } = suggestName(s, k.choices);
      throw new UsageError(`${where}: --${name} must be one of ${k.choices.join(', ')}, got '${s}'${near ? ` (did you mean ${near}?)` : ''}`, where.split(' ')[1]);
    }
    case 'string':
      if (s === '') throw new UsageError(`${where}: --${name} needs a non-empty ${k.metavar}`, where.split(' ')[1]);
      return s;
  }
}
