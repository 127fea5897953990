import { randomUUID } from 'node:crypto';
import type { Bundle, Subscription } from 'fhir/r4.js';
import type { TrustedClients } from '../../auth/trusted-clients.js';
import { notFound, OperationOutcomeError, outcome } from '../../errors/outcomes.js';
import type { Logger } from '../../logger.js';
import type { PasSubscriptionRecord, PasSubscriptionStore } from '../../store/pas-subscription-store.js';
import { notificationEndpointPermission } from './endpoint-access.js';
import { handshakeBundle, statusSearchset } from './notification-bundles.js';
import { allowedTokens } from './organization-filter.js';
import { readSubscriptionRequest } from './subscription-request.js';
import { subscriptionResource } from './subscription-resource.js';

export interface SubscriptionServiceDependencies {
  readonly store: PasSubscriptionStore;
  /** The clients file; undefined in open development mode. */
  readonly trustedClients: TrustedClients | undefined;
  readonly logger: Logger;
  readonly now: () => Date;
  /** Told of each new subscription, whose handshake is waiting in the outbox. */
  readonly onCreated: () => void;
}

/** Who calls: the authenticated client's iss, and the FHIR base it called (references are made under it). */
export interface SubscriptionCaller {
  readonly clientIss: string;
  readonly serverBase: string;
}

/**
 * The Subscription resource of the payer's FHIR API (PAS spec-62 to spec-69):
 * create, read, search, delete and $status, each for the client that created
 * the subscription only (spec-65: a sending system's subscriptions are
 * created and changed by that system alone). Another client's subscription
 * reads as not found, so ids reveal nothing.
 */
export class PasSubscriptionService {
  constructor(private readonly deps: SubscriptionServiceDependencies) {}

  /**
   * Creates a subscription with status requested and queues its handshake
   * (the backport IG's rest-hook flow): the delivery loop sends it, and a 2xx
   * answer makes the subscription active, anything else puts it in error.
   */
  async create(body: unknown, caller: SubscriptionCaller): Promise<Subscription> {
    const now = this.deps.now();
    const request = readSubscriptionRequest(body, now);
    const endpoint = notificationEndpointPermission(this.deps.trustedClients, caller.clientIss, request.endpoint);
    if (!endpoint.allowed) throw new OperationOutcomeError(outcome('business-rule', `Notifications cannot be sent to this channel.endpoint: ${endpoint.reason}.`, ['Subscription.channel.endpoint']));
    const tokens = this.organizationTokens(request.organizationTokens, caller.clientIss);
    const record = await this.deps.store.create(
      {
        id: randomUUID(),
        clientIss: caller.clientIss,
        organizationIdentifiers: tokens,
        endpoint: request.endpoint,
        payloadType: request.payloadType,
        headers: request.headers,
        timeoutSeconds: request.timeoutSeconds,
        end: request.end,
        serverBase: caller.serverBase,
        resource: request.resource,
      },
      (created) => handshakeBundle(created, now) as unknown as Record<string, unknown>,
      now,
    );
    this.deps.logger.info(
      { event: 'pas-subscription-created', subscription: record.id, client: caller.clientIss, endpoint: new URL(record.endpoint).origin, organizations: tokens.length },
      'PAS subscription created; handshake queued',
    );
    this.deps.onCreated();
    return subscriptionResource(record);
  }

  async read(id: string, caller: SubscriptionCaller): Promise<Subscription> {
    return subscriptionResource(await this.owned(id, caller));
  }

  /** The caller's subscriptions, optionally those with one of `statuses`, as a searchset. */
  async search(caller: SubscriptionCaller, statuses: readonly string[] = []): Promise<Bundle> {
    const found = (await this.deps.store.listByClient(caller.clientIss)).filter((s) => statuses.length === 0 || statuses.includes(s.status));
    return {
      resourceType: 'Bundle',
      type: 'searchset',
      total: found.length,
      entry: found.map((s) => ({ fullUrl: `${caller.serverBase}/Subscription/${s.id}`, resource: subscriptionResource(s), search: { mode: 'match' } })),
    };
  }

  /** Deletes the subscription: nothing more is sent for it, queued notifications included. */
  async delete(id: string, caller: SubscriptionCaller): Promise<void> {
    await this.owned(id, caller);
    await this.deps.store.delete(id);
    this.deps.logger.info({ event: 'pas-subscription-deleted', subscription: id, client: caller.clientIss }, 'PAS subscription deleted');
  }

  /** $status of one subscription (instance level) or of the caller's, narrowed by ids and statuses (type level). */
  async status(caller: SubscriptionCaller, selection: { readonly ids?: readonly string[]; readonly statuses?: readonly string[] }): Promise<Bundle> {
    if (selection.ids?.length === 1 && !selection.statuses?.length) return statusSearchset([await this.owned(selection.ids[0]!, caller)]);
    const mine = await this.deps.store.listByClient(caller.clientIss);
    return statusSearchset(mine.filter((s) => (!selection.ids?.length || selection.ids.includes(s.id)) && (!selection.statuses?.length || selection.statuses.includes(s.status))));
  }

  private async owned(id: string, caller: SubscriptionCaller): Promise<PasSubscriptionRecord> {
    const found = /^[A-Za-z0-9\-.]{1,64}$/.test(id) ? await this.deps.store.find(id) : undefined;
    if (!found || found.clientIss !== caller.clientIss) throw notFound(`There is no Subscription "${id.slice(0, 64)}" of this client.`);
    return found;
  }

  /** The filter's organisations as this client may subscribe to them (PAS spec-65), or a 403 naming those it may not. */
  private organizationTokens(tokens: readonly string[], clientIss: string): readonly string[] {
    const clients = this.deps.trustedClients;
    if (!clients) return tokens;
    const listed = clients.get(clientIss)?.organizationIdentifiers ?? [];
    const allowed = allowedTokens(tokens, listed);
    if ('refused' in allowed) {
      throw new OperationOutcomeError(
        outcome(
          'forbidden',
          `This client may not subscribe to the prior authorization results of ${allowed.refused.join(', ')}: a sending system subscribes to its own (PAS spec-65), as listed for it in the clients file (organizationIdentifiers).`,
          ['Subscription.criteria.extension'],
        ),
      );
    }
    return allowed.tokens;
  }
}
