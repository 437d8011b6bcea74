// sg.models — whole models built from sg.nn: a tiny GPT (decoder-only causal transformer).
export { GPT, gpt, lmLoss, sampleToken, type GPTConfig, type GenerateOptions } from './gpt.js';
export { vit, type ViTConfig } from './vit.js';
export { CLIP, CLIPTextEncoder, clip, clipLoss, clipTargets, clipCnn, argmaxRows, MAX_LOGIT_SCALE, type CLIPConfig, type ClipLossOptions, type ZeroShotOptions } from './clip.js';
export { WordTokenizer, wordTokenizer, words, digitPrompts, samplePromptIds, DIGIT_WORDS, DIGIT_TEMPLATES, PAD_TOKEN, EOT_TOKEN, type WordTokenizerOptions } from './prompts.js';
