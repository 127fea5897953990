import type { Identifier } from 'fhir/r4.js';

/**
 * The PAS subscription filter (PAS spec-64): "org-identifier = [sending
 * system identifier]", several separated by commas
 * (`org-identifier=N123456,4543315`). The identifiers are tokens as in FHIR
 * search: `system|value` names one identifier, a bare `value` names that
 * value in any system, `|value` a value with no system.
 */

/** The parameter names accepted: the IG's, and the spellings clients are seen to send. */
const PARAMETERS = ['org-identifier', 'orgIdentifier', 'identifier'];
const MAX_IDENTIFIERS = 20;
const MAX_TOKEN_LENGTH = 256;

export type FilterReading = { readonly tokens: readonly string[] } | { readonly problem: string };

/** The identifier tokens of a filter criteria string, or why it is not one the service supports. */
export function readOrganizationFilter(criteria: string): FilterReading {
  // A resource type before the parameters ("ClaimResponse?org-identifier=...") says nothing more: the topic has one.
  const text = criteria.trim().replace(/^[A-Z][A-Za-z]*\?/, '');
  const match = /^([A-Za-z-]+)\s*=\s*(.*)$/s.exec(text);
  if (!match || !PARAMETERS.includes(match[1]!)) {
    return { problem: `the filter must be org-identifier=<the sending system's identifier> (PAS spec-64); "${criteria.slice(0, 80)}" is not a filter the service supports` };
  }
  if (match[2]!.includes('&')) return { problem: 'the filter takes one parameter, org-identifier; list several identifiers separated by commas' };
  const tokens = match[2]!.split(',').map((t) => decode(t.trim()));
  if (tokens.some((t) => t === undefined || t === '' || t === '|')) return { problem: 'each identifier in org-identifier must be a value or system|value, with no empty entries' };
  if (tokens.length > MAX_IDENTIFIERS) return { problem: `the filter names ${tokens.length} identifiers; at most ${MAX_IDENTIFIERS}` };
  if (tokens.some((t) => t!.length > MAX_TOKEN_LENGTH)) return { problem: `an identifier in org-identifier is longer than ${MAX_TOKEN_LENGTH} characters` };
  if (tokens.some((t) => t!.split('|').length > 2)) return { problem: 'an identifier in org-identifier has more than one "|": write system|value' };
  return { tokens: [...new Set(tokens as string[])] };
}

/** Does the token name this identifier? */
export function tokenMatches(token: string, identifier: Pick<Identifier, 'system' | 'value'>): boolean {
  if (!identifier.value) return false;
  const bar = token.indexOf('|');
  if (bar < 0) return token === identifier.value;
  const system = token.slice(0, bar);
  return token.slice(bar + 1) === identifier.value && (system === '' ? !identifier.system : system === identifier.system);
}

/** Does any token name any of the identifiers? */
export function tokensMatch(tokens: readonly string[], identifiers: readonly Pick<Identifier, 'system' | 'value'>[]): boolean {
  return tokens.some((t) => identifiers.some((i) => tokenMatches(t, i)));
}

/**
 * The filter's tokens as a client may have them (PAS spec-65: only the
 * sending system subscribes to its own results), given the identifiers the
 * clients file lists for it. A token is allowed when one listed names at
 * least everything it names; a bare value the list gives with a system is
 * narrowed to that system, so it never matches another organisation's
 * identifier that happens to share the value. Returns the tokens to keep,
 * or those not allowed.
 */
export function allowedTokens(tokens: readonly string[], listed: readonly string[]): { readonly tokens: readonly string[] } | { readonly refused: readonly string[] } {
  const kept: string[] = [];
  const refused: string[] = [];
  for (const token of tokens) {
    if (listed.includes(token)) {
      kept.push(token);
      continue;
    }
    const bar = token.indexOf('|');
    if (bar >= 0) {
      // system|value is covered by the bare value listed.
      if (listed.includes(token.slice(bar + 1))) kept.push(token);
      else refused.push(token);
      continue;
    }
    const narrowed = listed.filter((l) => l.includes('|') && l.slice(l.indexOf('|') + 1) === token);
    if (narrowed.length > 0) kept.push(...narrowed);
    else refused.push(token);
  }
  return refused.length > 0 ? { refused } : { tokens: [...new Set(kept)] };
}

function decode(token: string): string | undefined {
  try {
    return decodeURIComponent(token);
  } catch {
    return undefined;
  }
}
