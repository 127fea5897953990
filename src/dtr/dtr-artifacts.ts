import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Questionnaire } from 'fhir/r4.js';
import { z } from 'zod';
import type { ElmLibrary } from './elm.js';

/**
 * The policy's DTR files (policies/<name>/dtr/): the Questionnaire, the CQL
 * libraries with their hand-written ELM, and the ICD-10-CM code families its
 * ValueSets list in full. Policy data, versioned with policy.json; read once.
 */
const LibraryEntry = z.object({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/),
  title: z.string().min(1),
  description: z.string().min(1),
  cql: z.string().min(1),
  elm: z.string().min(1),
});

const Manifest = z.object({
  description: z.string(),
  canonicalBase: z.url(),
  questionnaire: z.string().min(1),
  mainLibrary: z.string().min(1),
  libraries: z.array(LibraryEntry).min(1),
  icd10cmCodeFamilies: z.string().min(1),
});

const CodeFamilies = z.object({
  description: z.string(),
  families: z.record(z.string(), z.array(z.object({ code: z.string().min(1), display: z.string().min(1) })).min(1)),
});

export type DtrManifest = z.infer<typeof Manifest>;
/** ICD-10-CM prefix (as in policy.json, e.g. C83.1) → its billable codes. */
export type CodeFamilies = z.infer<typeof CodeFamilies>['families'];

export interface DtrLibrarySource {
  readonly name: string;
  readonly version: string;
  readonly title: string;
  readonly description: string;
  readonly cql: string;
  readonly elm: ElmLibrary;
  /** The ELM file as written, byte for byte, for the Library's application/elm+json content. */
  readonly elmText: string;
}

export interface DtrArtifacts {
  readonly manifest: DtrManifest;
  readonly questionnaire: Questionnaire;
  /** The main library first, then the libraries it includes. */
  readonly libraries: readonly DtrLibrarySource[];
  readonly codeFamilies: CodeFamilies;
}

/** Reads policies/<name>/dtr/. Start-up or test only; throws on a malformed file. */
export function loadDtrArtifacts(policyDirectory: string): DtrArtifacts {
  const directory = join(policyDirectory, 'dtr');
  const read = (file: string) => readFileSync(join(directory, file), 'utf8');
  const manifest = parse(Manifest, JSON.parse(read('manifest.json')), 'dtr/manifest.json');
  const questionnaire = JSON.parse(read(manifest.questionnaire)) as Questionnaire;
  if (questionnaire.resourceType !== 'Questionnaire') throw new Error(`dtr/${manifest.questionnaire} is not a Questionnaire`);
  const libraries = manifest.libraries.map((entry): DtrLibrarySource => {
    const elmText = read(entry.elm);
    const elm = JSON.parse(elmText) as ElmLibrary;
    const identifier = elm.library?.identifier;
    if (identifier?.id !== entry.name || typeof identifier.version !== 'string') {
      throw new Error(`dtr/${entry.elm} must identify library ${entry.name} with a version`);
    }
    return { name: entry.name, version: identifier.version, title: entry.title, description: entry.description, cql: read(entry.cql), elm, elmText };
  });
  const main = libraries.findIndex((l) => l.name === manifest.mainLibrary);
  if (main < 0) throw new Error(`dtr/manifest.json: main library ${manifest.mainLibrary} is not listed`);
  const ordered = [libraries[main]!, ...libraries.filter((_, i) => i !== main)];
  const codeFamilies = parse(CodeFamilies, JSON.parse(read(manifest.icd10cmCodeFamilies)), `dtr/${manifest.icd10cmCodeFamilies}`).families;
  return { manifest, questionnaire, libraries: ordered, codeFamilies };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
