/**
 * Colours for the terminal: ANSI SGR codes when on, the text unchanged when off (NO_COLOR, a
 * pipe, a log). A dozen lines do not need a dependency.
 */
export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

/**
 * The painter for a stream: colour when `on`.
 *
 * @example
 * const c = paint(process.stderr.isTTY && !process.env.NO_COLOR); c.red('failed')
 */
export function paint(on: boolean): Paint {
  const sgr = (open: number, close: number) => (s: string) => (on ? `\x1b[${open}m${s}\x1b[${close}m` : s);
  return { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), dim: sgr(2, 22), bold: sgr(1, 22) };
}

/**
 * One prefix for every message Sluice prints (issue 18): a line gets `sluice: ` unless it has it
 * already or is indented, i.e. continues the message above it (a summary's figures, an init note).
 * Config problems keep their JSON path right after it: `sluice: /model/batchSize: must be …`.
 *
 * @example
 * prefixed('/modle: unknown key') // "sluice: /modle: unknown key"
 */
export const prefixed = (line: string): string => (line === '' || /^(sluice:|\s)/.test(line) ? line : `sluice: ${line}`);

/** Whether stderr gets colour: a terminal, and NO_COLOR unset (https://no-color.org). */
export const stderrColor = (): boolean => Boolean(process.stderr.isTTY) && !process.env.NO_COLOR;
