import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST a receiver got. */
export interface ReceivedNotification {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, any>;
}

/**
 * A provider organisation's notification endpoint: a real HTTP server on a
 * loopback address that keeps every POST and answers with the statuses it is
 * told, in turn (the last one repeated; 200 by default).
 */
export class NotificationReceiver {
  readonly received: ReceivedNotification[] = [];
  /** Every answer given, in order (failed ones included). */
  readonly answered: number[] = [];
  /** When each answer was given (performance.now()). */
  readonly answeredAt: number[] = [];
  statuses: number[] = [200];
  #server: Server | undefined;
  #url = '';
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(readonly host = '127.0.0.1') {}

  /** http://host:port/notify (a path below the registered base). */
  get url(): string {
    return `${this.#url}/notify`;
  }

  get base(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = this.statuses[Math.min(this.answered.length, this.statuses.length - 1)]!;
        this.answered.push(status);
        this.answeredAt.push(performance.now());
        if (status >= 200 && status < 300) {
          this.received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, any> });
          this.#waiters = this.#waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
        }
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'failing');
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, this.host, resolve));
    this.#url = `http://${this.host}:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  /** Resolves once `count` notifications were accepted, or rejects after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 5000): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${count} notifications at ${this.url}, got ${this.received.length} (answers: ${this.answered.join(', ')})`)), timeoutMs);
      this.#waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Forgets what it got and answers 200 again. */
  reset(): void {
    this.received.length = 0;
    this.answered.length = 0;
    this.answeredAt.length = 0;
    this.statuses = [200];
  }

  /** The notifications of one type (handshake, event-notification). */
  ofType(type: string): ReceivedNotification[] {
    return this.received.filter((n) => statusParameter(n.body, 'type') === type);
  }

  async close(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** A parameter of a notification's SubscriptionStatus (its first entry). */
export function statusParameter(bundle: Record<string, any>, name: string): any {
  const p = (bundle['entry']?.[0]?.['resource']?.['parameter'] as Record<string, any>[] | undefined)?.find((x) => x['name'] === name);
  return p?.['valueCode'] ?? p?.['valueString'] ?? p?.['valueCanonical'] ?? p?.['valueReference']?.['reference'] ?? p;
}

/** The event numbers a notification carries. */
export function eventNumbers(bundle: Record<string, any>): string[] {
  return ((bundle['entry']?.[0]?.['resource']?.['parameter'] ?? []) as Record<string, any>[])
    .filter((p) => p['name'] === 'notification-event')
    .map((p) => (p['part'] as Record<string, any>[]).find((x) => x['name'] === 'event-number')?.['valueString']);
}
