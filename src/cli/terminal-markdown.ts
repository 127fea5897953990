import { marked, type Token, type Tokens } from 'marked';
import { printable, type TerminalStyle } from './terminal-style.js';

/**
 * Card markdown as terminal text: paragraphs, bullet and numbered lists,
 * emphasis as terminal styles, links as "label <url>". Raw HTML is shown as
 * text, never interpreted.
 */
export function markdownToTerminal(markdown: string, style: TerminalStyle): string {
  return blocks(marked.lexer(printable(markdown)), style).join('\n\n');
}

function blocks(tokens: readonly Token[], style: TerminalStyle): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    switch (token.type) {
      case 'space':
        break;
      case 'heading':
        out.push(style.bold(inline((token as Tokens.Heading).tokens, style)));
        break;
      case 'paragraph':
        out.push(inline((token as Tokens.Paragraph).tokens, style));
        break;
      case 'list': {
        const list = token as Tokens.List;
        const start = typeof list.start === 'number' ? list.start : 1;
        out.push(
          list.items
            .map((item, i) => {
              const marker = list.ordered ? `${start + i}. ` : '• ';
              const body = blocks(item.tokens, style).join('\n').split('\n');
              return [marker + body[0], ...body.slice(1).map((l) => ' '.repeat(marker.length) + l)].join('\n');
            })
            .join('\n'),
        );
        break;
      }
      case 'text': {
        const t = token as Tokens.Text;
        out.push(t.tokens ? inline(t.tokens, style) : decode(t.text));
        break;
      }
      case 'code':
        out.push((token as Tokens.Code).text.split('\n').map((l) => `    ${l}`).join('\n'));
        break;
      case 'blockquote':
        out.push(blocks((token as Tokens.Blockquote).tokens, style).join('\n\n').split('\n').map((l) => `│ ${l}`).join('\n'));
        break;
      case 'hr':
        out.push('────────');
        break;
      case 'table': {
        const table = token as Tokens.Table;
        const row = (cells: Tokens.TableCell[]) => cells.map((c) => inline(c.tokens, style)).join(' | ');
        out.push([style.bold(row(table.header)), ...table.rows.map(row)].join('\n'));
        break;
      }
      default:
        out.push(decode((token as { raw?: string }).raw ?? '').trim());
    }
  }
  return out;
}

function inline(tokens: readonly Token[] | undefined, style: TerminalStyle): string {
  let out = '';
  for (const token of tokens ?? []) {
    switch (token.type) {
      case 'strong':
        out += style.bold(inline((token as Tokens.Strong).tokens, style));
        break;
      case 'em':
        out += style.italic(inline((token as Tokens.Em).tokens, style));
        break;
      case 'del':
        out += inline((token as Tokens.Del).tokens, style);
        break;
      case 'codespan':
        out += decode((token as Tokens.Codespan).text);
        break;
      case 'br':
        out += '\n';
        break;
      case 'link': {
        const link = token as Tokens.Link;
        const label = inline(link.tokens, style);
        out += label === link.href ? link.href : `${label} <${link.href}>`;
        break;
      }
      case 'image':
        out += `[image: ${(token as Tokens.Image).text}]`;
        break;
      case 'escape':
        out += (token as Tokens.Escape).text;
        break;
      case 'text': {
        const t = token as Tokens.Text;
        out += t.tokens ? inline(t.tokens, style) : decode(t.text);
        break;
      }
      default:
        out += decode((token as { raw?: string }).raw ?? '');
    }
  }
  return out;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decode(s: string): string {
  return printable(
    s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, name: string) => {
      if (name[0] === '#') {
        const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
      }
      return ENTITIES[name.toLowerCase()] ?? m;
    }),
  );
}
