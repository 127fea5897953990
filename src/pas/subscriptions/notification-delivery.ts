import { randomUUID } from 'node:crypto';
import type { TrustedClients } from '../../auth/trusted-clients.js';
import type { NotificationConfig } from '../../config.js';
import type { Logger } from '../../logger.js';
import { OutboundRefused, type OutboundClient } from '../../net/outbound-client.js';
import type { ClaimedNotification, NotificationKind, PasSubscriptionStore } from '../../store/pas-subscription-store.js';
import { notificationEndpointPermission } from './endpoint-access.js';

/** How notifications are sent and retried: the PAS_NOTIFICATION_* settings (docs/configuration.md). The timeout is shortened by a subscription's backport-timeout. */
export type DeliverySettings = NotificationConfig;

/** Why an attempt failed, as counted in metrics. */
export type DeliveryFailure = 'http-status' | 'timeout' | 'network' | 'refused' | 'not-permitted';

/** Told of each attempt (src/operations/metrics.ts counts them; src/pas stays free of prom-client). */
export interface NotificationObserver {
  delivered(kind: NotificationKind): void;
  failed(kind: NotificationKind, failure: DeliveryFailure, final: boolean): void;
}

export interface DeliveryDependencies {
  readonly store: PasSubscriptionStore;
  readonly outbound: OutboundClient;
  readonly trustedClients: TrustedClients | undefined;
  readonly settings: DeliverySettings;
  readonly logger: Logger;
  readonly observer?: NotificationObserver | undefined;
  readonly now?: () => Date;
  /** A number in [0, 1) for the jitter (tests fix it). */
  readonly random?: () => number;
}

/** Rows claimed at once: at most one per subscription (they are delivered in order), sent side by side. */
const BATCH = 16;
/** What is read of an endpoint's answer: only its status matters. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * The wait before attempt `attempt + 1`, after `attempt` failed: exponential
 * (base, 2 base, 4 base, ...) up to the cap, with "equal jitter" (half of it
 * fixed, half random), so endpoints that fail together are not retried in
 * step.
 */
export function retryDelayMs(attempt: number, settings: Pick<DeliverySettings, 'retryBaseMs' | 'retryMaxMs'>, random: () => number): number {
  const exponential = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(exponential / 2 + (random() * exponential) / 2);
}

/**
 * The delivery loop: claims due rows of the outbox (src/store/pas-subscription-store.ts),
 * POSTs each notification to its subscription's endpoint through the one
 * outbound client, with the address rules of the endpoint's entry in the
 * clients file (checked again now: an endpoint taken out of the file gets
 * nothing more), and records the outcome. Failures are retried with backoff;
 * the last failed attempt puts the subscription in error. A row is claimed
 * by one instance for a lease, so a fleet sends each notification once
 * (at least once if an instance dies mid-send: subscribers tell repeats by
 * event number). Rows outlive the process: a new instance sends what was
 * pending.
 */
export class NotificationDelivery {
  /** Claims are marked with this, so an instance only settles its own. */
  readonly instance = randomUUID();
  readonly #deps: DeliveryDependencies;
  readonly #now: () => Date;
  readonly #random: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #started = false;
  #stopping = false;
  readonly #abort = new AbortController();

  constructor(deps: DeliveryDependencies) {
    this.#deps = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#random = deps.random ?? Math.random;
  }

  /** Starts looking at the outbox now and every pollMs. */
  start(): void {
    if (this.#started || this.#stopping) return;
    this.#started = true;
    this.#schedule(0);
  }

  /** Something was queued: look now rather than at the next poll (a no-op when the loop is not started). */
  wake(): void {
    if (this.#started && !this.#stopping) this.#schedule(0);
  }

  /** Stops: sends in flight are cut off and their rows given back untried, for the next instance or start. */
  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    this.#abort.abort(new Error('the service is stopping'));
    await this.#running;
  }

  /** One pass: sends everything due, until nothing is. Resolves with the number of attempts made. */
  async deliverDue(): Promise<number> {
    let attempts = 0;
    while (!this.#stopping) {
      const now = this.#now();
      const lease = new Date(now.getTime() + 2 * this.#deps.settings.timeoutMs + 10_000);
      const claimed = await this.#deps.store.claimDue(this.instance, now, lease, BATCH);
      if (claimed.length === 0) break;
      await Promise.all(claimed.map((n) => this.#deliver(n)));
      attempts += claimed.length;
    }
    return attempts;
  }

  #schedule(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#tick(), ms);
    this.#timer.unref();
  }

  #tick(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.deliverDue()
      .then(
        () => undefined,
        (error: unknown) => {
          this.#deps.logger.error({ event: 'pas-notification-loop-failed', err: { message: error instanceof Error ? error.message : String(error) } }, 'the PAS notification outbox could not be read; trying again at the next poll');
        },
      )
      .finally(() => {
        this.#running = undefined;
        if (this.#stopping) return;
        this.#schedule(this.#again ? 0 : this.#deps.settings.pollMs);
        this.#again = false;
      });
  }

  async #deliver(notification: ClaimedNotification): Promise<void> {
    const { settings, logger } = this.#deps;
    const subscription = notification.subscription;
    const permission = notificationEndpointPermission(this.#deps.trustedClients, subscription.clientIss, subscription.endpoint);
    if (!permission.allowed) {
      await this.#failed(notification, 'not-permitted', permission.reason, true);
      return;
    }
    const timeoutMs = Math.min(settings.timeoutMs, subscription.timeoutSeconds ? subscription.timeoutSeconds * 1000 : Infinity);
    const headers: Record<string, string> = {};
    for (const line of subscription.headers) headers[line.slice(0, line.indexOf(':')).trim()] = line.slice(line.indexOf(':') + 1).trim();
    // The service's own headers last: the subscriber's cannot change them (they are refused at creation too).
    Object.assign(headers, { 'content-type': `${subscription.payloadType}; charset=utf-8`, accept: 'application/fhir+json, application/json;q=0.9, */*;q=0.1' });
    const started = performance.now();
    let failure: DeliveryFailure;
    let detail: string;
    try {
      const answer = await this.#deps.outbound.post(new URL(subscription.endpoint), JSON.stringify(notification.payload), {
        addressRules: permission.addressRules,
        headers,
        signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(timeoutMs)]),
        maxResponseBytes: MAX_ANSWER_BYTES,
      });
      await answer.body?.cancel().catch(() => undefined);
      if (answer.status >= 200 && answer.status < 300) {
        const settled = await this.#deps.store.markDelivered(notification, this.#now());
        if (settled) this.#deps.observer?.delivered(notification.kind);
        logger.info(
          { event: 'pas-notification-delivered', subscription: subscription.id, kind: notification.kind, eventNumber: notification.eventNumber, attempt: notification.attempts + 1, status: answer.status, durationMs: Math.round(performance.now() - started) },
          notification.kind === 'handshake' ? 'PAS subscription handshake accepted: subscription active' : 'PAS notification delivered',
        );
        return;
      }
      failure = 'http-status';
      detail = `the endpoint answered HTTP ${answer.status}`;
    } catch (error) {
      if (this.#abort.signal.aborted) {
        await this.#deps.store.release(notification);
        return;
      }
      const e = error as { name?: string; code?: string; message?: string };
      failure = error instanceof OutboundRefused ? 'refused' : e.name === 'TimeoutError' || e.name === 'AbortError' ? 'timeout' : 'network';
      detail = failure === 'timeout' ? `no answer within ${timeoutMs} ms` : `${e.code ?? e.name ?? 'error'}: ${String(e.message ?? '').slice(0, 200)}`;
    }
    await this.#failed(notification, failure, detail, false);
  }

  async #failed(notification: ClaimedNotification, failure: DeliveryFailure, detail: string, permanent: boolean): Promise<void> {
    const { settings, logger, store } = this.#deps;
    const attempt = notification.attempts + 1;
    // The backport IG: a failed handshake puts the subscription in error; events get maxAttempts.
    const final = permanent || notification.kind === 'handshake' || attempt >= settings.maxAttempts;
    const now = this.#now();
    const log = { subscription: notification.subscription.id, client: notification.subscription.clientIss, kind: notification.kind, eventNumber: notification.eventNumber, attempt, failure, detail };
    this.#deps.observer?.failed(notification.kind, failure, final);
    if (final) {
      const reason =
        notification.kind === 'handshake'
          ? `the handshake could not be delivered: ${detail}`
          : `notification event ${notification.eventNumber} could not be delivered${permanent ? '' : ` after ${attempt} attempts`}: ${detail}`;
      await store.markGivenUp(notification, detail, reason, now);
      logger.warn({ event: 'pas-subscription-error', ...log }, `PAS notification given up; subscription in error: ${reason}`);
      return;
    }
    const retryAt = new Date(now.getTime() + retryDelayMs(attempt, settings, this.#random));
    await store.markRetry(notification, detail, retryAt);
    logger.warn({ event: 'pas-notification-retry', ...log, retryAt: retryAt.toISOString() }, 'PAS notification not delivered; will retry');
  }
}
