import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { CodeSet, CodeSystemAliases, type CodeSetEntry } from '../fhir/code-set.js';
import type { CodeSystemKey } from '../fhir/codes.js';
import type { CodeSetName, OrderCheckDefinition, PolicyDefinition } from './policy-definition.js';

/** A FHIRPath check compiled once at start-up; it returns the offending values (empty = no hit). */
export interface OrderCheck {
  readonly id: string;
  readonly label: string;
  readonly evaluate: (resource: unknown) => unknown[];
}

/** A policy ready to run: its content plus indexed code sets, regexes and compiled FHIRPath. */
export interface CompiledPolicy {
  readonly definition: PolicyDefinition;
  readonly codeSets: Readonly<Record<CodeSetName, CodeSet>>;
  readonly text: Readonly<Record<keyof PolicyDefinition['textPatterns'], readonly RegExp[]>>;
  /** Codes that name the disease but do not by themselves show relapse, with the note to show. */
  readonly relapseNotes: CodeSet;
  readonly orderChecks: {
    readonly repeatDosing: readonly OrderCheck[];
    readonly outpatientOrder: readonly OrderCheck[];
    readonly outpatientEncounter: readonly OrderCheck[];
  };
}

export function compilePolicy(definition: PolicyDefinition): CompiledPolicy {
  const aliases = new CodeSystemAliases(definition.codeSystems as Partial<Record<CodeSystemKey, string[]>>);
  const codeSets = Object.fromEntries(
    Object.entries(definition.codeSets).map(([name, set]) => [
      name,
      new CodeSet(set.label, aliases, set.codes as CodeSetEntry[], set.prefixes as CodeSetEntry[]),
    ]),
  ) as Record<CodeSetName, CodeSet>;
  const regexes = (patterns: readonly string[]) => patterns.map((p) => new RegExp(p, 'i'));
  return {
    definition,
    codeSets,
    text: Object.fromEntries(Object.entries(definition.textPatterns).map(([name, t]) => [name, regexes(t.patterns)])) as unknown as CompiledPolicy['text'],
    relapseNotes: new CodeSet('relapse notes', aliases, definition.relapseNotes as CodeSetEntry[]),
    orderChecks: {
      repeatDosing: definition.orderChecks.repeatDosing.map(compileCheck),
      outpatientOrder: definition.orderChecks.outpatientOrder.map(compileCheck),
      outpatientEncounter: definition.orderChecks.outpatientEncounter.map(compileCheck),
    },
  };
}

function compileCheck(check: OrderCheckDefinition): OrderCheck {
  let fn: (resource: unknown) => unknown[];
  try {
    fn = fhirpath.compile(check.expression, r4Model, { async: false }) as (resource: unknown) => unknown[];
  } catch (error) {
    throw new Error(`policy order check "${check.id}" has an invalid FHIRPath expression: ${(error as Error).message}`);
  }
  return { id: check.id, label: check.label, evaluate: fn };
}
