import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import { pipeline, Readable, Transform, type Duplex } from 'node:stream';
import zlib from 'node:zlib';
import type { AddressKind, AddressRules } from './address-rules.js';

/**
 * Every request the service sends to another server goes through here (issue
 * 14: FHIR queries, JWKS and `jku` fetches, PAS subscription notifications),
 * so each obeys the same rules and no feature adds a side door:
 * - http and https only; GET, and POST for notifications (the rest-hook
 *   channel); no redirect is followed (the caller sees the 3xx and decides,
 *   re-entering here for the next hop; a notification is never re-sent to a
 *   redirect's target);
 * - the address checked is the address connected to: host names are resolved
 *   in the socket's own `lookup`, which hands `net.connect` only addresses the
 *   request's AddressRules allow, so a DNS answer that changes between a check
 *   and the connection cannot slip past (there is no separate check). An IP
 *   literal is checked before connecting, and every socket is checked again on
 *   `connect` against its remote address;
 * - pooled connections are kept per set of rules, so a socket opened under one
 *   destination's rules never carries another's request;
 * - the response body is bounded, counted as it arrives.
 * TLS uses Node's default trust store, so NODE_EXTRA_CA_CERTS adds a private CA.
 */

/** One address a host name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to its addresses (DNS by default; tests map names to chosen addresses). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export interface OutboundClientOptions {
  /** How host names are resolved; the system resolver (getaddrinfo, /etc/hosts included) unless given. */
  readonly resolve?: Resolver | undefined;
}

export interface OutboundRequest {
  /** Which addresses this request may connect to. */
  readonly addressRules: AddressRules;
  readonly headers?: Readonly<Record<string, string>> | Headers | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Largest response body accepted (after decompression); a larger one errors the body with ResponseTooLarge. */
  readonly maxResponseBytes: number;
}

/** The service refused to send a request: a scheme it does not speak, or an address the rules forbid. Nothing was sent. */
export class OutboundRefused extends Error {
  /** For logs, as network errors carry theirs. */
  readonly code = 'EOUTBOUNDREFUSED';

  constructor(
    readonly kind: AddressKind | 'scheme' | 'no-address',
    message: string,
  ) {
    super(message);
    this.name = 'OutboundRefused';
  }
}

/** A response body was larger than the request allowed. */
export class ResponseTooLarge extends Error {
  readonly code = 'ERESPONSETOOLARGE';

  constructor(readonly limit: number) {
    super(`the response body was larger than ${limit} bytes`);
    this.name = 'ResponseTooLarge';
  }
}

const systemResolver: Resolver = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

/** Extra request options the agents read: the rules travel with the request to the socket. */
interface RuledOptions {
  readonly addressRules: AddressRules;
}

const NULL_BODY_STATUSES = new Set([204, 205, 304]);
/**
 * Idle kept-alive sockets close after this (sooner when the server's
 * Keep-Alive hint says so: Node applies the hint only under a timeout of the
 * agent's own), so a socket the server has already closed is rarely reused.
 * The agent's timeout closes idle sockets only; requests keep their own signal.
 */
const IDLE_SOCKET_MS = 4000;

export class OutboundClient {
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;

  constructor(options: OutboundClientOptions = {}) {
    const resolve = options.resolve ?? systemResolver;
    this.#httpAgent = ruledAgent(http.Agent, resolve);
    this.#httpsAgent = ruledAgent(https.Agent, resolve);
  }

  /**
   * GETs `url`. Resolves with the response as a fetch Response (any status,
   * redirects included, with their Location); rejects with OutboundRefused
   * when the rules forbid the request, or with the network error.
   */
  get(url: URL, request: OutboundRequest): Promise<Response> {
    return this.#send('GET', url, request);
  }

  /**
   * POSTs `body` to `url` (a rest-hook notification), under the same rules
   * as `get`; the body's Content-Type is the caller's to set in `headers`.
   */
  post(url: URL, body: string | Uint8Array, request: OutboundRequest): Promise<Response> {
    return this.#send('POST', url, request, typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
  }

  async #send(method: 'GET' | 'POST', url: URL, request: OutboundRequest, body?: Uint8Array): Promise<Response> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundRefused('scheme', `the service sends requests over https (or http) only, not ${url.protocol.replace(/:$/, '')}`);
    const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // An IP literal is never looked up: check it before any packet is sent.
    if (isIP(hostname) !== 0) {
      const refusal = request.addressRules.refusal(hostname);
      if (refusal) throw new OutboundRefused(refusal.kind, refusal.message);
    }
    request.signal?.throwIfAborted();
    const secure = url.protocol === 'https:';
    const headers = Object.fromEntries(new Headers(request.headers as ConstructorParameters<typeof Headers>[0]));
    const options: http.RequestOptions & RuledOptions = {
      protocol: url.protocol,
      hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method,
      headers: { 'accept-encoding': 'gzip, deflate, br', ...headers, ...(body ? { 'content-length': String(body.byteLength) } : {}) },
      agent: secure ? this.#httpsAgent : this.#httpAgent,
      signal: request.signal,
      addressRules: request.addressRules,
    };
    return new Promise<Response>((resolve, reject) => {
      const req = (secure ? https.request : http.request)(options, (res) => {
        try {
          resolve(toResponse(res, request));
        } catch (error) {
          res.destroy();
          reject(error);
        }
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Closes pooled connections (tests; the process otherwise lets idle ones go). */
  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}

/**
 * An http or https Agent whose sockets resolve host names through the rules
 * of the request that opens them, and are pooled per set of rules.
 */
function ruledAgent<A extends typeof http.Agent | typeof https.Agent>(Base: A, resolve: Resolver): InstanceType<A> {
  const AgentClass = Base as unknown as typeof http.Agent;
  const agent = new (class extends AgentClass {
    override getName(options?: http.ClientRequestArgs): string {
      return `${super.getName(options)}:${(options as Partial<RuledOptions> | undefined)?.addressRules?.key ?? 'no-rules'}`;
    }

    override createConnection(options: http.ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void) {
      const rules = (options as Partial<RuledOptions>).addressRules;
      if (!rules) throw new OutboundRefused('no-address', 'an outbound request without address rules');
      const socket = super.createConnection({ ...options, lookup: checkedLookup(resolve, rules) } as http.ClientRequestArgs, callback) as Socket;
      // The address connected to, checked once more before a byte of the request is written.
      socket.once('connect', () => {
        const address = socket.remoteAddress;
        const refusal = address === undefined ? { kind: 'no-address' as const, message: 'the connection has no remote address' } : rules.refusal(address);
        if (refusal) socket.destroy(new OutboundRefused(refusal.kind, refusal.message));
      });
      return socket;
    }
  })({ keepAlive: true, timeout: IDLE_SOCKET_MS });
  return agent as InstanceType<A>;
}

/**
 * A `lookup` for net.connect that resolves with `resolve` and passes on only
 * the addresses the rules allow. With none left, the connection fails with
 * the first refusal, and nothing is sent.
 */
function checkedLookup(resolve: Resolver, rules: AddressRules): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (answers) => {
        const wanted = answers.filter((a) => !options.family || a.family === options.family);
        const allowed = wanted.filter((a) => rules.refusal(a.address) === undefined);
        if (allowed.length === 0) {
          const first = wanted[0] ? rules.refusal(wanted[0].address) : undefined;
          const error = first ? new OutboundRefused(first.kind, first.message) : Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
          callback(error as NodeJS.ErrnoException, '', 0);
          return;
        }
        if (options.all) callback(null, allowed.map((a) => ({ address: a.address, family: a.family })));
        else callback(null, allowed[0]!.address, allowed[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** The node:http response as a fetch Response: decompressed, bounded, and cut off when the request's signal aborts. */
function toResponse(res: http.IncomingMessage, request: OutboundRequest): Response {
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 599) throw new Error(`the server answered with HTTP status ${status}`);
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    try {
      headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
    } catch {
      // A header fetch cannot represent; nothing the service reads.
    }
  }
  if (NULL_BODY_STATUSES.has(status)) {
    res.on('error', () => {});
    res.resume();
    return new Response(null, { status, headers });
  }
  const limit = request.maxResponseBytes;
  let size = 0;
  const bound = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.byteLength;
      done(size > limit ? new ResponseTooLarge(limit) : null, chunk);
    },
  });
  const decoder = decoderFor(res.headers['content-encoding']);
  if (decoder) {
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  const body: Readable = decoder ? pipeline(res, decoder, bound, () => {}) : pipeline(res, bound, () => {});
  const declared = Number(res.headers['content-length']);
  // A body announced as too large is refused without reading it.
  if (!decoder && Number.isFinite(declared) && declared > limit) body.destroy(new ResponseTooLarge(limit));
  const signal = request.signal;
  if (signal) {
    const cutOff = () => body.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', cutOff, { once: true });
    body.once('close', () => signal.removeEventListener('abort', cutOff));
  }
  const stream = webStream(body);
  try {
    return new Response(stream, { status, statusText: res.statusMessage ?? '', headers });
  } catch {
    // A reason phrase fetch does not accept.
    return new Response(stream, { status, headers });
  }
}

/**
 * A node stream as a web ReadableStream, pulled chunk by chunk. (Node 20's
 * Readable.toWeb throws "Controller is already closed" from a data event
 * after the reader cancels.)
 */
function webStream(body: Readable): ReadableStream<Uint8Array> {
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      body.destroy();
      await chunks.return?.();
    },
  });
}

function decoderFor(encoding: string | undefined): Transform | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      return undefined;
  }
}
