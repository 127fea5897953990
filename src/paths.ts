import { fileURLToPath } from 'node:url';

/** The project's root folder (where package.json, discovery.json and policies/ live). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function fromRoot(...segments: string[]): string {
  return [PROJECT_ROOT.replace(/\/$/, ''), ...segments].join('/');
}
