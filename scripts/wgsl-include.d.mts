// Types of scripts/wgsl-include.mjs, for the tests that import it.
export declare const INCLUDE_DIRECTIVE: RegExp;
export declare function beginMarker(path: string): string;
export declare function endMarker(path: string): string;
export declare function alreadyIncluded(path: string): string;
/** A run of expanded lines from one file: [first expanded line, file under shaders/, its line], 1-based. */
export type LineRun = [number, string, number];
export declare function expandIncludes(
  file: string,
  read: (path: string) => string | undefined,
): { text: string; lines: LineRun[] };
