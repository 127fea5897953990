/**
 * Escapes text taken from the patient's record before it goes into card
 * markdown, so that record content cannot add links, HTML or formatting
 * (brackets, emphasis, code spans, raw HTML). Newlines are folded so a record
 * value cannot start a heading, list or table of its own.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/[\\`*_[\]<>~]/g, (c) => `\\${c}`)
    .replace(/\s*\r?\n\s*/g, ' ');
}

export function bulletList(lines: readonly string[]): string {
  return lines.map((l) => `- ${l}`).join('\n');
}
