/**
 * Escapes text taken from the patient's record before it goes into card
 * markdown, so that record content cannot add links, HTML or formatting.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+!|~&"]/g, (c) => (c === '&' ? '&amp;' : c === '"' ? '&quot;' : `\\${c}`)).replace(/\r?\n/g, ' ');
}

export function bulletList(lines: readonly string[]): string {
  return lines.map((l) => `- ${l}`).join('\n');
}
