// Reading a run directory written by `shadergrad train`, for the commands that use one. Node only (this
// file reads the disk); setup.ts stays importable by the bench page.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './args.js';
import type { ModelName, RunConfig } from './setup.js';

/**
 * A classification run written by `shadergrad train` in `dir`, for the commands that use one (evaluate,
 * prune, train --teacher): its config and checkpoint path. A missing run, or a gpt / clip run, is a
 * UsageError of `command` naming the directory.
 */
export function readTrainedRun(command: string, dir: string, flag = '--run'): { config: RunConfig & { model: ModelName }; ckpt: string } {
  const where = `shadergrad ${command}: ${flag} ${dir}`;
  const ckpt = join(dir, 'model.safetensors');
  const configPath = join(dir, 'config.json');
  if (!existsSync(ckpt) || !existsSync(configPath)) {
    throw new UsageError(`${where} holds no trained run (config.json and model.safetensors from shadergrad train)`, command);
  }
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as RunConfig;
  if (config.model === 'gpt' || config.model === 'clip') {
    throw new UsageError(`${where} holds a ${config.model} run; ${command} takes the classification models (mlp, cnn, vit)`, command);
  }
  return { config: config as RunConfig & { model: ModelName }, ckpt };
}
