import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { CodeSet, CodeSystemAliases, type CodeSetEntry } from '../fhir/code-set.js';
import type { CodeSystemKey } from '../fhir/codes.js';
import { TERM_LIST_NAMES, type CodeSetName, type OrderCheckDefinition, type PolicyDefinition, type TermListName } from './policy-definition.js';
import { TermMatcher } from './text-terms.js';

/** A FHIRPath check compiled once at start-up; it returns the offending values (empty = no hit). */
export interface OrderCheck {
  readonly id: string;
  readonly label: string;
  readonly evaluate: (resource: unknown) => unknown[];
}

/** A CAR-T product and the words that name it. */
export interface CarTProductTerms {
  readonly product: string;
  readonly matcher: TermMatcher;
}

/** A policy ready to run: its content plus indexed code sets, word matchers and compiled FHIRPath. */
export interface CompiledPolicy {
  readonly definition: PolicyDefinition;
  readonly codeSets: Readonly<Record<CodeSetName, CodeSet>>;
  readonly terms: Readonly<Record<TermListName, TermMatcher>>;
  readonly carTProducts: readonly CarTProductTerms[];
  /** Every CAR-T product name and the generic CAR-T words, as one matcher. */
  readonly anyCarTName: TermMatcher;
  /** The words that name the policy's own product (Tecartus) in an order. */
  readonly policyProductName: TermMatcher;
  /** The payer's names, for a Coverage's payor. */
  readonly payerName: TermMatcher;
  readonly aliases: CodeSystemAliases;
  /** Codes that name the disease but do not by themselves show relapse, with the note to show. */
  readonly relapseNotes: CodeSet;
  readonly orderChecks: { readonly repeatDosing: readonly OrderCheck[] };
}

export function compilePolicy(definition: PolicyDefinition): CompiledPolicy {
  const aliases = new CodeSystemAliases(definition.codeSystems as Partial<Record<CodeSystemKey, string[]>>);
  const codeSets = Object.fromEntries(
    Object.entries(definition.codeSets).map(([name, set]) => [
      name,
      new CodeSet(set.label, aliases, set.codes as CodeSetEntry[], set.prefixes as CodeSetEntry[]),
    ]),
  ) as Record<CodeSetName, CodeSet>;
  const lists = definition.textTerms;
  const terms = Object.fromEntries(TERM_LIST_NAMES.map((name) => [name, new TermMatcher(lists[name])])) as Record<TermListName, TermMatcher>;
  const carTProducts = lists.carTProducts.map((p) => ({ product: p.product, matcher: new TermMatcher(p) }));
  const own = lists.carTProducts.find((p) => p.product.toLowerCase().includes(definition.title.split(' ')[0]!.toLowerCase()));
  if (!own) throw new Error(`policy ${definition.id}: textTerms.carTProducts has no entry for ${definition.title}`);
  return {
    definition,
    codeSets,
    terms,
    carTProducts,
    anyCarTName: new TermMatcher({
      terms: [...lists.carT.terms, ...lists.carTProducts.flatMap((p) => p.terms)],
      exactCase: [...lists.carT.exactCase, ...lists.carTProducts.flatMap((p) => p.exactCase)],
    }),
    policyProductName: new TermMatcher(own),
    payerName: new TermMatcher({ terms: definition.payer.names, exactCase: [] }),
    aliases,
    relapseNotes: new CodeSet('relapse notes', aliases, definition.relapseNotes as CodeSetEntry[]),
    orderChecks: { repeatDosing: definition.orderChecks.repeatDosing.map(compileCheck) },
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
