// sg.models — whole models built from sg.nn: a tiny GPT (decoder-only causal transformer).
export { GPT, gpt, lmLoss, sampleToken, type GPTConfig, type GenerateOptions } from './gpt.js';
export { vit, type ViTConfig } from './vit.js';
