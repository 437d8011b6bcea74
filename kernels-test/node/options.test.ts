// checkOptions: unknown option keys are errors with a suggestion (edit distance, snake_case → camelCase,
// PyTorch spellings), on the CPU. The library's option bags are checked in option-checks.test.ts.
import { describe, expect, it } from 'vitest';
import { checkOptions, editDistance, suggestName, unknownOptionMessage } from '../../src/util/options.js';
import { OPTION_KEYS } from '../../src/option-keys.js';

describe('checkOptions', () => {
  const adam = OPTION_KEYS.adam;

  it('accepts known keys, undefined options and empty objects', () => {
    expect(() => checkOptions('optim.adam', { lr: 1e-3, beta1: 0.9, beta2: 0.99, amsgrad: true }, adam)).not.toThrow();
    expect(() => checkOptions('optim.adam', undefined, adam)).not.toThrow();
    expect(() => checkOptions('optim.adam', {}, adam)).not.toThrow();
  });

  it("PyTorch's betas suggests beta1 (and says where beta2 went)", () => {
    expect(() => checkOptions('optim.adam', { lr: 1e-3, betas: [0.9, 0.99] }, adam)).toThrow(
      "shadergrad: optim.adam: unknown option 'betas' (did you mean 'beta1'?): PyTorch's betas=(β1, β2) are beta1 and beta2 here");
  });

  it('snake_case and kebab-case spellings suggest the camelCase name', () => {
    expect(() => checkOptions('optim.sgd', { lr: 0.1, weight_decay: 1e-4 }, OPTION_KEYS.sgd)).toThrow(/optim\.sgd: unknown option 'weight_decay' \(did you mean 'weightDecay'\?\)$/);
    expect(() => checkOptions('optim.cosineAnnealing', { T_max: 10 }, OPTION_KEYS.cosineAnnealing)).toThrow(/unknown option 'T_max' \(did you mean 'tMax'\?\)/);
    expect(() => checkOptions('train.fit', { batch_size: 8 }, OPTION_KEYS.fit)).toThrow(/unknown option 'batch_size' \(did you mean 'batchSize'\?\)/);
  });

  it('typos suggest the nearest name', () => {
    expect(() => checkOptions('train.fit', { epoch: 3 }, OPTION_KEYS.fit)).toThrow("shadergrad: train.fit: unknown option 'epoch' (did you mean 'epochs'?)");
    expect(() => checkOptions('optim.sgd', { momentun: 0.9 }, OPTION_KEYS.sgd)).toThrow(/did you mean 'momentum'\?/);
    expect(() => checkOptions('optim.sgd', { nestrov: true }, OPTION_KEYS.sgd)).toThrow(/did you mean 'nesterov'\?/);
    expect(() => checkOptions('train.fit', { validation_data: 1 }, OPTION_KEYS.fit)).toThrow(/did you mean 'validationData'\?/);
  });

  it('PyTorch names without an equivalent get a note instead of a wrong suggestion', () => {
    expect(() => checkOptions('optim.adam', { foreach: true }, adam)).toThrow(/unknown option 'foreach': PyTorch's implementation switch foreach has no equivalent/);
    expect(() => checkOptions('optim.stepLR', { lr_lambda: () => 1 }, OPTION_KEYS.stepLR)).toThrow(/unknown option 'lr_lambda': LambdaLR is sg.optim.lambdaLR\(fn\) here/);
    expect(() => checkOptions('optim.sgd', { max_norm: 1 }, OPTION_KEYS.sgd)).toThrow(/unknown option 'max_norm' \(did you mean 'clipNorm'\?\)/);
  });

  it('with nothing close, the message lists the accepted options', () => {
    expect(() => checkOptions('data.mnist', { zzzzzz: 1 }, OPTION_KEYS.mnist)).toThrow("shadergrad: data.mnist: unknown option 'zzzzzz' (options: 'count', 'seed')");
  });

  it('a key set to undefined is still checked; non-objects are rejected', () => {
    expect(() => checkOptions('optim.adam', { lr: 1, betas: undefined }, adam)).toThrow(/unknown option 'betas'/);
    expect(() => checkOptions('optim.adam', 0.001, adam)).toThrow(/optim\.adam: options must be an object \(\{ lr, weightDecay, l1, … \}\), got number 0\.001/);
    expect(() => checkOptions('optim.adam', null, adam)).toThrow(/got null/);
    expect(() => checkOptions('optim.adam', [1], adam)).toThrow(/got an array/);
  });

  it('edit distance and suggestions', () => {
    expect(editDistance('epoch', 'epochs')).toBe(1);
    expect(editDistance('lr', 'rl')).toBe(1); // transposition
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(suggestName('lr', ['momentum', 'nesterov'])).toEqual({});
    expect(suggestName('learning_rate', ['lr', 'momentum'])).toEqual({ name: 'lr' });
    expect(unknownOptionMessage('train', '--epoch', ['--epochs', '--lr'], 'flag', (s) => s)).toBe('shadergrad: train: unknown flag --epoch (did you mean --epochs?)');
  });

  it('every key list is non-empty and has no duplicates', () => {
    for (const [name, keys] of Object.entries(OPTION_KEYS)) {
      expect(keys.length, name).toBeGreaterThan(0);
      expect(new Set(keys).size, name).toBe(keys.length);
    }
  });
});
