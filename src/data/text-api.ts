// sg.data.text: character-level language-model data and corpora (src/data/text.ts), without its internals.
export {
  charTokenizer, languageModelDataset, namesDataset, bigramBaseline, firstNames, mobyDick, mobyDickSections,
  type CharTokenizer, type CharTokenizerJSON, type LanguageModelOptions, type LanguageModelData, type NamesDatasetOptions,
  type NamesData, type MobyDickSection,
} from './text.js';
