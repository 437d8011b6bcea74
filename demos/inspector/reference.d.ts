// The virtual module built by demos/vite.config.ts: the exported functions of src/reference/*.ts.
declare module 'virtual:sg-reference' {
  export const referenceFunctions: { name: string; file: string; line: number; source: string }[];
}
