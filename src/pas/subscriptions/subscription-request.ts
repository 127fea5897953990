import { z } from 'zod';
import { badRequestIssues, OperationOutcomeError, outcome, type IssueCode } from '../../errors/outcomes.js';
import { zodIssues } from '../../errors/zod-issues.js';
import { BACKPORT, CROSS_VERSION_EXTENSION, PAS_SUBSCRIPTION_TOPIC } from './backport.js';
import { endpointProblem } from './endpoint-access.js';
import { readOrganizationFilter } from './organization-filter.js';

/**
 * A Subscription as a PAS client creates it (R4, Subscriptions R5 Backport
 * IG 1.1.0; PAS 2.2 profile-subscription, spec-62 to spec-69), read once at
 * the edge. What the service relies on is checked; anything else is kept as
 * sent. A Subscription the service cannot honour is refused with an
 * OperationOutcome saying why: 400 when it is malformed, 422 when it asks for
 * something PAS or this service does not offer (the backport IG: reject
 * rather than silently change what was asked).
 */
export interface SubscriptionRequest {
  /** The filter's identifier tokens (`system|value` or a value), as written. */
  readonly organizationTokens: readonly string[];
  readonly endpoint: string;
  /** The MIME type of notifications (channel.payload). */
  readonly payloadType: string;
  /** channel.header, `Name: value` each. */
  readonly headers: readonly string[];
  /** backport-timeout, seconds. */
  readonly timeoutSeconds?: number | undefined;
  readonly end?: Date | undefined;
  /** The Subscription to keep and show: without id, status and channel.header, and without the heartbeat the service does not send. */
  readonly resource: Record<string, unknown>;
}

/** JSON payloads the service sends notifications as; the backport IG names application/fhir+json, some clients (Inferno) ask for application/json. */
const PAYLOAD_TYPES = ['application/fhir+json', 'application/json'];
const MAX_HEADERS = 10;
const MAX_RESOURCE_CHARS = 64 * 1024;
/** Headers the service sets itself, or that would break the HTTP exchange. */
const RESERVED_HEADERS = new Set(['host', 'content-type', 'content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'accept-encoding']);
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}):[ \t]*([^\r\n\0]{0,4096})$/;

const Extension = z.looseObject({ url: z.string() });
const Extensions = z.array(Extension).optional();

const SubscriptionShape = z.looseObject({
  resourceType: z.literal('Subscription', { error: 'must be Subscription: the body must be a Subscription resource' }),
  criteria: z.string({ error: 'is required: the PAS topic canonical' }),
  _criteria: z.looseObject({ extension: Extensions }).optional(),
  end: z.string().optional(),
  channel: z.looseObject(
    {
      type: z.string({ error: 'is required (rest-hook)' }),
      endpoint: z.string().max(2048, 'is longer than 2048 characters').optional(),
      payload: z.string().optional(),
      _payload: z.looseObject({ extension: Extensions }).optional(),
      header: z.array(z.string({ error: 'must be a string "Name: value"' }), { error: 'must be a list of strings' }).optional(),
      extension: Extensions,
    },
    { error: 'is required' },
  ),
});

function refuse(code: IssueCode, text: string, expression: string): OperationOutcomeError {
  return new OperationOutcomeError(outcome(code, text, [expression]));
}

/** Reads a POSTed Subscription, or throws the OperationOutcome that says what is wrong with it. */
export function readSubscriptionRequest(body: unknown, now: Date): SubscriptionRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw refuse('invalid', 'The body must be a Subscription resource (a JSON object).', 'Subscription');
  if (JSON.stringify(body).length > MAX_RESOURCE_CHARS) throw refuse('too-costly', `The Subscription is larger than ${MAX_RESOURCE_CHARS / 1024} kB.`, 'Subscription');
  const parsed = SubscriptionShape.safeParse(body, { reportInput: true });
  if (!parsed.success) {
    // Every problem at once, each with its path (src/errors/zod-issues.ts).
    throw badRequestIssues(zodIssues(parsed.error).map((i) => ({ ...i, expression: i.expression?.map((e) => `Subscription.${e}`) })));
  }
  const subscription = parsed.data;
  const crossVersion = findCrossVersionExtension(body);
  if (crossVersion) {
    throw refuse('business-rule', `The Subscription uses the cross-version extension ${crossVersion}; R4 Subscriptions say this with the backport IG's own elements and extensions, which this service reads.`, 'Subscription.extension');
  }

  // PAS spec-62: one topic; a version after "|" names the same topic.
  if (subscription.criteria.split('|')[0] !== PAS_SUBSCRIPTION_TOPIC) {
    throw refuse('business-rule', `The only topic offered is ${PAS_SUBSCRIPTION_TOPIC} (PAS prior authorization results); criteria names another.`, 'Subscription.criteria');
  }
  const filters = (subscription._criteria?.extension ?? []).filter((e) => e.url === BACKPORT.filterCriteria);
  if (filters.length !== 1 || typeof filters[0]!['valueString'] !== 'string') {
    throw refuse(
      'required',
      `A PAS Subscription carries exactly one filter (PAS profile-subscription, spec-64): _criteria.extension ${BACKPORT.filterCriteria} with valueString org-identifier=<the sending system's identifier>.`,
      'Subscription.criteria.extension',
    );
  }
  const filter = readOrganizationFilter(filters[0]!['valueString'] as string);
  if ('problem' in filter) throw refuse('business-rule', `Unsupported filter criteria: ${filter.problem}.`, 'Subscription.criteria.extension');

  const channel = subscription.channel;
  // PAS spec-67: rest-hook only.
  if (channel.type !== 'rest-hook') throw refuse('business-rule', `The channel type ${channel.type.slice(0, 40)} is not offered: PAS subscriptions use rest-hook only (spec-67).`, 'Subscription.channel.type');
  if (!channel.endpoint) throw refuse('required', 'A rest-hook Subscription needs channel.endpoint, the https URL notifications are POSTed to.', 'Subscription.channel.endpoint');
  let endpoint: URL;
  try {
    endpoint = new URL(channel.endpoint);
  } catch {
    throw refuse('invalid', 'Subscription.channel.endpoint is not an absolute URL.', 'Subscription.channel.endpoint');
  }
  const problem = endpointProblem(endpoint);
  if (problem) throw refuse('business-rule', `Subscription.channel.endpoint ${problem}.`, 'Subscription.channel.endpoint');

  const payloadType = channel.payload?.split(';')[0]!.trim().toLowerCase();
  if (!payloadType || !PAYLOAD_TYPES.includes(payloadType)) {
    throw refuse('business-rule', `Notifications are sent as application/fhir+json; channel.payload ${channel.payload ? `"${channel.payload.slice(0, 60)}" is` : 'is missing, which would be'} not offered.`, 'Subscription.channel.payload');
  }
  const contents = (channel._payload?.extension ?? []).filter((e) => e.url === BACKPORT.payloadContent);
  const content = contents[0]?.['valueCode'];
  // PAS spec-69: full-resource only, since $inquire cannot return all a response says.
  if (contents.length !== 1 || content !== 'full-resource') {
    throw refuse(
      'business-rule',
      `PAS notifications carry the full PAS response Bundle: the payload content must be full-resource (PAS spec-69), given in channel._payload.extension ${BACKPORT.payloadContent}${typeof content === 'string' ? `, not ${content.slice(0, 40)}` : ''}.`,
      'Subscription.channel.payload.extension',
    );
  }

  const headers = channel.header ?? [];
  if (headers.length > MAX_HEADERS) throw refuse('invalid', `Subscription.channel.header lists ${headers.length} headers; at most ${MAX_HEADERS}.`, 'Subscription.channel.header');
  headers.forEach((line, i) => {
    const match = HEADER_LINE.exec(line);
    if (!match) throw refuse('invalid', `Subscription.channel.header[${i}] must be "Name: value" on one line.`, `Subscription.channel.header[${i}]`);
    if (RESERVED_HEADERS.has(match[1]!.toLowerCase()) || match[1]!.toLowerCase().startsWith('proxy-')) {
      throw refuse('business-rule', `Subscription.channel.header[${i}] sets ${match[1]}, which the service sets itself.`, `Subscription.channel.header[${i}]`);
    }
  });

  const timeouts = (channel.extension ?? []).filter((e) => e.url === BACKPORT.timeout);
  const timeout = timeouts[0]?.['valueUnsignedInt'];
  if (timeouts.length > 1 || (timeouts.length === 1 && (!Number.isInteger(timeout) || (timeout as number) < 1))) {
    throw refuse('invalid', 'backport-timeout must be one valueUnsignedInt of at least 1 (seconds).', 'Subscription.channel.extension');
  }

  let end: Date | undefined;
  if (subscription.end !== undefined) {
    end = new Date(subscription.end);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(subscription.end) || Number.isNaN(end.getTime())) throw refuse('invalid', 'Subscription.end must be an instant (e.g. 2027-01-01T00:00:00Z).', 'Subscription.end');
    if (end <= now) throw refuse('business-rule', 'Subscription.end is already past.', 'Subscription.end');
  }

  return {
    organizationTokens: filter.tokens,
    endpoint: endpoint.href,
    payloadType,
    headers,
    timeoutSeconds: timeouts.length === 1 ? (timeout as number) : undefined,
    end,
    resource: keptResource(body as Record<string, unknown>),
  };
}

/**
 * The Subscription kept for reads: as sent, without what the server sets
 * (id, status, meta.versionId), without the headers (secrets; shown back
 * with their values hidden) and without the heartbeat period (the service
 * sends no heartbeats, so showing it would promise one).
 */
function keptResource(body: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, status: _status, ...rest } = structuredClone(body);
  const channel = { ...(rest['channel'] as Record<string, unknown>) };
  delete channel['header'];
  if (Array.isArray(channel['extension'])) {
    const kept = (channel['extension'] as { url?: unknown }[]).filter((e) => e.url !== BACKPORT.heartbeatPeriod);
    if (kept.length > 0) channel['extension'] = kept;
    else delete channel['extension'];
  }
  const meta = rest['meta'] as Record<string, unknown> | undefined;
  if (meta && typeof meta === 'object') {
    const { versionId: _versionId, lastUpdated: _lastUpdated, ...keptMeta } = meta;
    rest['meta'] = keptMeta;
  }
  return { ...rest, channel };
}

/** The URL of the first cross-version extension anywhere in the resource. */
function findCrossVersionExtension(node: unknown): string | undefined {
  if (Array.isArray(node)) {
    for (const n of node) {
      const found = findCrossVersionExtension(n);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof node !== 'object' || node === null) return undefined;
  const url = (node as { url?: unknown }).url;
  if (typeof url === 'string' && CROSS_VERSION_EXTENSION.test(url)) return url;
  for (const value of Object.values(node)) {
    const found = findCrossVersionExtension(value);
    if (found) return found;
  }
  return undefined;
}
