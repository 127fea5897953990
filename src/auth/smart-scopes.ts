/**
 * SMART Backend Services scopes for the payer's FHIR API: the scopes offered,
 * what a requested scope is granted, and which scope each call needs.
 *
 * Scopes are SMART v2 system scopes, `system/<ResourceType>.<cruds>` (SMART
 * App Launch 2.x, "Scopes for requesting FHIR resources"); the v1 forms
 * `.read` (= rs), `.write` (= cud) and `.*` (= cruds) are accepted too.
 * Neither DTR nor PAS names scopes (both defer to HRex "Security and
 * Privacy", which names SMART Backend Services), so the choice below is ours:
 * each call needs the one interaction it performs on the resource type it
 * concerns, as the FHIR REST API spells it (read r, search s, create c,
 * update u, delete d), and an operation the interaction it amounts to.
 */

/** A SMART v2 permission: create, read, update, delete, search. */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';
const PERMISSIONS: readonly Permission[] = ['c', 'r', 'u', 'd', 's'];

/**
 * The scopes this FHIR API offers (SMART discovery `scopes_supported`). A
 * token is granted these or a part of them, never more.
 */
export const OFFERED_SCOPES: readonly string[] = [
  // DTR: the questionnaire package, the form, its CQL Libraries and ValueSets.
  'system/Questionnaire.rs',
  'system/Library.rs',
  'system/ValueSet.rs',
  // DTR: QuestionnaireResponses a client keeps with the payer (offered so one registration serves DTR and PAS; none served yet).
  'system/QuestionnaireResponse.rs',
  // PAS (issue 13): Claim/$submit creates a prior authorization request; $inquire reads one's current state.
  'system/Claim.c',
  'system/Claim.rs',
  // PAS: the submitting organisation's Subscription for pended decisions (created, read, changed and ended by that organisation, spec-65).
  'system/Subscription.cruds',
];

/** The scope one FHIR API call needs: one permission on one resource type. */
export interface NeededScope {
  readonly resourceType: string;
  readonly permission: Permission;
}

/** What a call to the FHIR API needs, from the table below. */
export type FhirAccess =
  | { readonly kind: 'open' }
  | { readonly kind: 'scope'; readonly scope: NeededScope }
  /** A call the table does not list: no scope grants it (refused by default). */
  | { readonly kind: 'unoffered' };

interface AccessRule {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path below the FHIR base; `:id` stands for any one segment. */
  readonly path: string;
  /** `open` (no token), or the scope needed, e.g. `system/Questionnaire.r`. */
  readonly needs: string;
}

/**
 * Every call the FHIR API serves, operation → scope. A call that is not
 * listed needs a scope nothing grants, so a route added to
 * src/http/fhir-routes.ts stays closed until it is listed here (a test checks
 * every route is).
 */
const ACCESS_RULES: readonly AccessRule[] = [
  // FHIR and SMART: the CapabilityStatement and SMART discovery are read before any token is held.
  { method: 'GET', path: 'metadata', needs: 'open' },
  { method: 'GET', path: '.well-known/smart-configuration', needs: 'open' },
  // DTR $questionnaire-package answers the Questionnaire (with its Libraries and ValueSets): a read of it, type and system level.
  { method: 'POST', path: 'Questionnaire/$questionnaire-package', needs: 'system/Questionnaire.r' },
  { method: 'POST', path: '$questionnaire-package', needs: 'system/Questionnaire.r' },
  // DTR oper-1: a client that could read the form reports the errors it found in it.
  { method: 'POST', path: 'Questionnaire/$log-questionnaire-errors', needs: 'system/Questionnaire.r' },
  { method: 'GET', path: 'Questionnaire', needs: 'system/Questionnaire.s' },
  { method: 'GET', path: 'Questionnaire/:id', needs: 'system/Questionnaire.r' },
  { method: 'GET', path: 'Library/:id', needs: 'system/Library.r' },
  // DTR oper-4: $expand reads a ValueSet (by url or by id).
  { method: 'GET', path: 'ValueSet/$expand', needs: 'system/ValueSet.r' },
  { method: 'POST', path: 'ValueSet/$expand', needs: 'system/ValueSet.r' },
  { method: 'GET', path: 'ValueSet/:id/$expand', needs: 'system/ValueSet.r' },
  { method: 'GET', path: 'ValueSet/:id', needs: 'system/ValueSet.r' },
  // PAS (issue 13): $submit creates a prior authorization request (a Claim); $inquire reads the state of one.
  { method: 'POST', path: 'Claim/$submit', needs: 'system/Claim.c' },
  { method: 'POST', path: 'Claim/$inquire', needs: 'system/Claim.r' },
  // PAS spec-62 to spec-65: the submitting organisation's R4 Subscription for pended decisions.
  { method: 'POST', path: 'Subscription', needs: 'system/Subscription.c' },
  { method: 'GET', path: 'Subscription', needs: 'system/Subscription.s' },
  // The backport IG's $status reads the state of the caller's subscriptions (before Subscription/:id, which would match it).
  { method: 'GET', path: 'Subscription/$status', needs: 'system/Subscription.r' },
  { method: 'POST', path: 'Subscription/$status', needs: 'system/Subscription.r' },
  { method: 'GET', path: 'Subscription/:id/$status', needs: 'system/Subscription.r' },
  { method: 'POST', path: 'Subscription/:id/$status', needs: 'system/Subscription.r' },
  { method: 'GET', path: 'Subscription/:id', needs: 'system/Subscription.r' },
  { method: 'PUT', path: 'Subscription/:id', needs: 'system/Subscription.u' },
  { method: 'DELETE', path: 'Subscription/:id', needs: 'system/Subscription.d' },
];

const V2_SCOPE = /^system\/(\*|[A-Z][A-Za-z]{0,63})\.(c?r?u?d?s?)$/;
const V1_SCOPE = /^system\/(\*|[A-Z][A-Za-z]{0,63})\.(read|write|\*)$/;
const V1_PERMISSIONS: Record<string, readonly Permission[]> = { read: ['r', 's'], write: ['c', 'u', 'd'], '*': PERMISSIONS };

interface ParsedScope {
  /** A resource type, or `*` for every type. */
  readonly resourceType: string;
  readonly permissions: readonly Permission[];
  /** `.*` (v1): every permission offered, rather than exactly these. */
  readonly anyPermission: boolean;
}

/** A system scope in SMART v2 or v1 syntax; undefined for anything else (patient/, user/, openid, granular `?` scopes...). */
function parseScope(scope: string): ParsedScope | undefined {
  const v2 = V2_SCOPE.exec(scope);
  if (v2 && v2[2] !== '') return { resourceType: v2[1]!, permissions: [...v2[2]!] as Permission[], anyPermission: false };
  const v1 = V1_SCOPE.exec(scope);
  if (v1) return { resourceType: v1[1]!, permissions: V1_PERMISSIONS[v1[2]!]!, anyPermission: v1[2] === '*' };
  return undefined;
}

/** Resource type → the permissions offered on it, in the order OFFERED_SCOPES names the types. */
const OFFERED: ReadonlyMap<string, ReadonlySet<Permission>> = (() => {
  const offered = new Map<string, Set<Permission>>();
  for (const scope of OFFERED_SCOPES) {
    const parsed = parseScope(scope)!;
    const permissions = offered.get(parsed.resourceType) ?? new Set<Permission>();
    parsed.permissions.forEach((p) => permissions.add(p));
    offered.set(parsed.resourceType, permissions);
  }
  return offered;
})();

/** Permissions per resource type, written as v2 scopes (`system/Claim.crs`), in the offered order. */
function scopesOf(granted: ReadonlyMap<string, ReadonlySet<Permission>>): string[] {
  return [...OFFERED.keys()]
    .filter((type) => (granted.get(type)?.size ?? 0) > 0)
    .map((type) => `system/${type}.${PERMISSIONS.filter((p) => granted.get(type)!.has(p)).join('')}`);
}

export type ScopeGrant = { readonly granted: readonly string[] } | { readonly refused: string; readonly reason: string };

/**
 * The scopes a token request is granted (RFC 6749 section 3.3: a
 * space-delimited list). A wildcard (`system/*.rs`, `system/Claim.*`) is
 * narrowed to what is offered; a scope naming a resource type and
 * permissions must be offered as a whole. A scope that grants nothing
 * offered refuses the whole request (invalid_scope), so a client never holds
 * a token narrower than it believes.
 */
export function grantScopes(requested: string): ScopeGrant {
  const granted = new Map<string, Set<Permission>>();
  const grant = (type: string, permission: Permission) => {
    const permissions = granted.get(type) ?? new Set<Permission>();
    permissions.add(permission);
    granted.set(type, permissions);
  };
  for (const scope of requested.split(' ').filter((s) => s !== '')) {
    const parsed = parseScope(scope);
    if (!parsed) return { refused: scope, reason: 'only system/ scopes on the resource types this FHIR API serves are offered' };
    if (parsed.resourceType !== '*' && !OFFERED.has(parsed.resourceType)) return { refused: scope, reason: `this FHIR API offers no access to ${parsed.resourceType}` };
    if (parsed.resourceType !== '*' && !parsed.anyPermission) {
      const offered = OFFERED.get(parsed.resourceType)!;
      const missing = parsed.permissions.filter((p) => !offered.has(p));
      if (missing.length > 0) return { refused: scope, reason: `${parsed.resourceType} is offered with ${PERMISSIONS.filter((p) => offered.has(p)).join('')} only` };
      parsed.permissions.forEach((p) => grant(parsed.resourceType, p));
      continue;
    }
    let any = false;
    for (const [type, offered] of OFFERED) {
      if (parsed.resourceType !== '*' && parsed.resourceType !== type) continue;
      for (const p of parsed.permissions) {
        if (offered.has(p)) {
          grant(type, p);
          any = true;
        }
      }
    }
    if (!any) return { refused: scope, reason: 'it matches nothing this FHIR API offers' };
  }
  const scopes = scopesOf(granted);
  if (scopes.length === 0) return { refused: '', reason: 'no scope was requested (SMART Backend Services: scope is required)' };
  return { granted: scopes };
}

/** Does a token holding `scopes` (as granted by grantScopes) allow what `needed` asks? */
export function scopesAllow(scopes: readonly string[], needed: NeededScope): boolean {
  return scopes.some((scope) => {
    const parsed = parseScope(scope);
    return parsed !== undefined && parsed.resourceType === needed.resourceType && parsed.permissions.includes(needed.permission);
  });
}

/** The scope as a client would request it, e.g. `system/Questionnaire.r`. */
export function scopeText(scope: NeededScope): string {
  return `system/${scope.resourceType}.${scope.permission}`;
}

interface CompiledRule {
  readonly method: string;
  readonly segments: readonly string[];
  readonly access: FhirAccess;
}

const RULES: readonly CompiledRule[] = ACCESS_RULES.map((rule) => {
  let access: FhirAccess = { kind: 'open' };
  if (rule.needs !== 'open') {
    const parsed = parseScope(rule.needs);
    if (!parsed || parsed.resourceType === '*' || parsed.permissions.length !== 1) throw new Error(`access rule ${rule.method} ${rule.path}: ${rule.needs} is not one permission on one resource type`);
    access = { kind: 'scope', scope: { resourceType: parsed.resourceType, permission: parsed.permissions[0]! } };
  }
  return { method: rule.method, segments: rule.path.toLowerCase().split('/'), access };
});

/**
 * What a call needs, by its method and its path below the FHIR base (e.g.
 * `/Questionnaire/123`). Matched as Express routes them: case-insensitive, a
 * trailing slash ignored; HEAD as GET.
 */
export function fhirAccessFor(method: string, path: string): FhirAccess {
  const verb = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const segments = path.replace(/^\/+/, '').replace(/\/$/, '').toLowerCase().split('/');
  const rule = RULES.find(
    (r) => r.method === verb && r.segments.length === segments.length && r.segments.every((s, i) => (s === ':id' ? segments[i] !== '' : s === segments[i])),
  );
  return rule?.access ?? { kind: 'unoffered' };
}

/** Every listed call, for the test that checks each FHIR route is listed. */
export function listedFhirCalls(): readonly { readonly method: string; readonly path: string }[] {
  return ACCESS_RULES.map((r) => ({ method: r.method, path: r.path }));
}
