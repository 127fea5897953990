import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { marked, type Token, type Tokens } from 'marked';

// Issue 11 item 7: a README under 15 KB that a newcomer can trust (its commands
// run, its links lead somewhere) and the rest in docs/, each document linked.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** The documents issue 11 asks for, each linked from the README. */
const DOCS = [
  'docs/decision-rules.md',
  'docs/fhir-queries.md',
  'docs/security.md',
  'docs/storage.md',
  'docs/operations.md',
  'docs/configuration.md',
  'docs/performance.md',
  'docs/preview-and-cli.md',
  'docs/standards.md',
  'CHANGELOG.md',
];

/** Every Markdown file whose links are checked: the README, docs/ and the changelog. */
const MARKDOWN = ['README.md', 'CHANGELOG.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string>; bin: Record<string, string> };

function tokens(markdown: string): Token[] {
  const all: Token[] = [];
  marked.walkTokens(marked.lexer(markdown), (t) => {
    all.push(t);
  });
  return all;
}

/** A heading's text as GitHub renders it: code spans, emphasis and links reduced to their text. */
function plainText(inline: readonly Token[] | undefined): string {
  return (inline ?? [])
    .map((t) => {
      if ('tokens' in t && t.tokens && t.tokens.length > 0) return plainText(t.tokens);
      return 'text' in t ? String(t.text) : '';
    })
    .join('');
}

/** The anchors GitHub gives a file's headings (github-slugger: lower case, punctuation dropped, spaces to hyphens, repeats numbered). */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const t of tokens(markdown)) {
    if (t.type !== 'heading') continue;
    const base = plainText((t as Tokens.Heading).tokens)
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Links and images that stay in the repository (no scheme, no protocol-relative URL, no mail). */
function relativeLinks(markdown: string): string[] {
  return tokens(markdown)
    .filter((t): t is Tokens.Link | Tokens.Image => t.type === 'link' || t.type === 'image')
    .map((t) => t.href)
    .filter((href) => !/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith('//'));
}

describe('README: short, and its commands run', () => {
  const readme = read('README.md');

  it('is under 15 KB', () => {
    const bytes = Buffer.byteLength(readme, 'utf8');
    assert.ok(bytes < 15_000, `README.md is ${bytes} bytes; move detail to docs/`);
  });

  it('gives the two commands, npm ci then npm start, and npm test for the tests', () => {
    const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
    const commands = [...quickStart.matchAll(/^npm (ci|start)\b/gm)].map((m) => m[1]);
    assert.deepEqual(commands, ['ci', 'start'], 'the quick start shows npm ci, then npm start');
    assert.match(readme, /^npm test\b/m);
  });

  it('every npm command in the README and docs/ exists: npm ci has its lock file, npm start and npm test their scripts, npm run X the script X', () => {
    for (const file of MARKDOWN.filter((f) => f !== 'CHANGELOG.md')) {
      for (const [, command, script] of read(file).matchAll(/\bnpm (ci|start|test|run ([\w:.-]+))\b/g)) {
        if (command === 'ci') assert.ok(existsSync(join(ROOT, 'package-lock.json')), `${file}: npm ci needs package-lock.json`);
        else {
          const name = script ?? command!;
          assert.ok(packageJson.scripts[name], `${file} mentions "npm ${command}", but package.json has no "${name}" script`);
        }
      }
    }
  });

  it('every npx tecartus-cds command names the package bin', () => {
    for (const file of MARKDOWN) {
      for (const [, bin] of read(file).matchAll(/\bnpx ([\w-]+)/g)) {
        const target = packageJson.bin[bin!];
        assert.ok(target && existsSync(join(ROOT, target)), `${file} runs "npx ${bin}", which package.json's bin does not provide`);
      }
    }
  });
});

describe('Documentation: every document issue 11 lists exists and the README links it', () => {
  const readmeLinks = new Set(relativeLinks(read('README.md')).map((href) => href.split('#')[0]));
  for (const doc of DOCS) {
    it(doc, () => {
      assert.ok(existsSync(join(ROOT, doc)), `${doc} exists`);
      assert.ok(readmeLinks.has(doc), `README.md links ${doc}`);
    });
  }
});

describe('Links: every relative link in README.md, CHANGELOG.md and docs/ leads to a file, and every #anchor to a heading', () => {
  for (const file of MARKDOWN) {
    it(file, () => {
      const broken: string[] = [];
      for (const href of relativeLinks(read(file))) {
        const [path = '', anchor] = href.split('#');
        const target = path === '' ? file : normalize(join(dirname(file), decodeURIComponent(path)));
        if (relative(ROOT, join(ROOT, target)).startsWith('..') || !existsSync(join(ROOT, target))) {
          broken.push(`${href}: no file ${target}`);
          continue;
        }
        if (anchor === undefined) continue;
        if (!target.endsWith('.md') || statSync(join(ROOT, target)).isDirectory()) {
          broken.push(`${href}: an anchor into a file that is not Markdown`);
        } else if (!anchorsOf(read(target)).has(anchor)) {
          broken.push(`${href}: ${target} has no heading with the anchor #${anchor}`);
        }
      }
      assert.deepEqual(broken, [], `${file} has broken links`);
    });
  }
});

describe('Paths: every repository path the README and docs/ name in code exists', () => {
  // Not the changelog: it names files as they were when each change was made.
  for (const file of MARKDOWN.filter((f) => f !== 'CHANGELOG.md')) {
    it(file, () => {
      const missing = tokens(read(file))
        .filter((t): t is Tokens.Codespan => t.type === 'codespan')
        .map((t) => t.text)
        .filter((text) => /^(src|test|bench|scripts|policies|examples|docs|bin)\/[^\s*{}<>…]*$/.test(text))
        .filter((path) => !existsSync(join(ROOT, path)));
      assert.deepEqual([...new Set(missing)], [], `${file} names paths that do not exist`);
    });
  }
});
