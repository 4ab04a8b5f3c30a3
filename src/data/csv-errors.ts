/** A CSV file the loader will not trust, with where and why: file, line, column and the problem. */
export class CsvLoadError extends Error {
  readonly code = 'CSV_REJECTED';
  constructor(
    readonly file: string,
    /** 1-based line in the file, or null for a problem with the file as a whole. */
    readonly line: number | null,
    /** `4 (high)`: 1-based field number and its name, or null when no one column is at fault. */
    readonly column: string | null,
    readonly problem: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${column === null ? '' : `column ${column}: `}${problem}`);
    this.name = 'CsvLoadError';
  }
}
