// After `tsc -p tsconfig.build.json`: the files the compiled service serves as they are (the preview page's HTML, CSS and browser scripts; the reviewer's page's stylesheet and script).
import { cpSync, rmSync } from 'node:fs';

const assets = ['ui/public', 'review/public'];
for (const dir of assets) {
  rmSync(new URL(`../dist/${dir}`, import.meta.url), { recursive: true, force: true });
  cpSync(new URL(`../src/${dir}`, import.meta.url), new URL(`../dist/${dir}`, import.meta.url), { recursive: true });
}
