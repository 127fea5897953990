/**
 * Terminal text: ANSI styles only when the output is a terminal that wants
 * them, and nothing from a response that could drive the terminal (escape
 * sequences and other control characters are removed from untrusted text).
 */
export interface TerminalStyle {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly italic: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly green: (s: string) => string;
  readonly blue: (s: string) => string;
}

const plain = (s: string) => s;
const PLAIN: TerminalStyle = { bold: plain, dim: plain, italic: plain, red: plain, yellow: plain, green: plain, blue: plain };

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const COLOURED: TerminalStyle = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  italic: sgr(3, 23),
  red: sgr(31, 39),
  yellow: sgr(33, 39),
  green: sgr(32, 39),
  blue: sgr(34, 39),
};

/** Colours when writing to a terminal, unless NO_COLOR is set (https://no-color.org) or the terminal is dumb. */
export function styleFor(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): TerminalStyle {
  const wanted = isTTY === true && !env['NO_COLOR'] && env['TERM'] !== 'dumb';
  return wanted ? COLOURED : PLAIN;
}

/** Untrusted text made safe to print: C0/C1 control characters (ESC among them) removed, tabs as spaces. */
export function printable(value: unknown): string {
  const s = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  return s.replace(/\t/g, ' ').replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, '');
}

/** Wraps text to a width, keeping existing line breaks; words longer than the width stay whole. */
export function wrap(text: string, width: number, indent = ''): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      out.push('');
      continue;
    }
    const lead = /^\s*/.exec(line)![0];
    const hanging = lead + (/^\s*(?:[-•*]|\d+\.) /.exec(line)?.[0].slice(lead.length).replace(/./g, ' ') ?? '');
    let current = '';
    for (const word of line.trimStart().split(/ +/)) {
      const candidate = current === '' ? `${lead}${word}` : `${current} ${word}`;
      if (visibleLength(candidate) + indent.length > width && current !== '') {
        out.push(current);
        current = `${hanging}${word}`;
      } else {
        current = candidate;
      }
    }
    out.push(current);
  }
  return out.map((l) => (l === '' ? '' : indent + l)).join('\n');
}

function visibleLength(s: string): number {
  return s.replace(/\u001b\[\d+m/g, '').length;
}
