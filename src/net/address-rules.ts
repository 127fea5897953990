import { BlockList, isIP } from 'node:net';

/**
 * What kind of address a host resolved to, as far as outbound requests care.
 * - `link-local`: 169.254.0.0/16 and fe80::/10, where most cloud metadata
 *   services answer (169.254.169.254). Never.
 * - `cloud-metadata`: metadata services outside link-local (AWS's IPv6
 *   fd00:ec2::254, Alibaba's 100.100.100.200). Never.
 * - `unspecified`: 0.0.0.0/8 and `::` (Linux connects 0.0.0.0 to the host itself). Never.
 * - `reserved`: multicast, 240.0.0.0/4 and the broadcast address, IPv4-compatible IPv6. Never.
 * - `loopback`: 127.0.0.0/8, ::1.
 * - `private`: 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT),
 *   198.18/15 (benchmarking), fc00::/7 (unique local), fec0::/10 (old site-local).
 * - `public`: anything else.
 * IPv4 addresses written inside IPv6 (::ffff:a.b.c.d mapped, 64:ff9b::a.b.c.d
 * NAT64, 2002:xxxx:xxxx:: 6to4) are the IPv4 address they carry.
 */
export type AddressKind = 'link-local' | 'cloud-metadata' | 'unspecified' | 'reserved' | 'loopback' | 'private' | 'public';

type Cidr = readonly [network: string, prefix: number];

const IPV4: Readonly<Record<Exclude<AddressKind, 'public'>, readonly Cidr[]>> = {
  'link-local': [['169.254.0.0', 16]],
  'cloud-metadata': [['100.100.100.200', 32]],
  unspecified: [['0.0.0.0', 8]],
  loopback: [['127.0.0.0', 8]],
  reserved: [
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ],
  private: [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['100.64.0.0', 10],
    ['198.18.0.0', 15],
  ],
};

const IPV6: Readonly<Record<Exclude<AddressKind, 'public'>, readonly Cidr[]>> = {
  'link-local': [['fe80::', 10]],
  'cloud-metadata': [['fd00:ec2::254', 128]],
  unspecified: [['::', 128]],
  loopback: [['::1', 128]],
  // ::/96 holds :: and ::1 too; those are classified first.
  reserved: [
    ['ff00::', 8],
    ['::', 96],
  ],
  private: [
    ['fc00::', 7],
    ['fec0::', 10],
  ],
};

/** Checked in this order: the first kind whose ranges hold the address wins. */
const ORDER = ['link-local', 'cloud-metadata', 'unspecified', 'loopback', 'reserved', 'private'] as const;

/** An IPv4 range as the IPv6 ranges that carry it (mapped, NAT64, 6to4). */
function embedded([network, prefix]: Cidr): Cidr[] {
  const octets = network.split('.').map(Number);
  const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
  return [
    [`::ffff:${network}`, 96 + prefix],
    [`64:ff9b::${network}`, 96 + prefix],
    [`2002:${hex(octets[0]!, octets[1]!)}:${hex(octets[2]!, octets[3]!)}::`, 16 + prefix],
  ];
}

const RANGES: ReadonlyMap<AddressKind, BlockList> = new Map(
  ORDER.map((kind) => {
    const list = new BlockList();
    for (const cidr of IPV4[kind]) {
      list.addSubnet(cidr[0], cidr[1], 'ipv4');
      for (const [net, prefix] of embedded(cidr)) list.addSubnet(net, prefix, 'ipv6');
    }
    for (const [net, prefix] of IPV6[kind]) list.addSubnet(net, prefix, 'ipv6');
    return [kind, list];
  }),
);

const family = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 4 ? 'ipv4' : 'ipv6');

/** The kind of an IP address (`10.1.2.3`, `::1`); undefined when it is not one. */
export function addressKind(address: string): AddressKind | undefined {
  if (isIP(address) === 0) return undefined;
  for (const kind of ORDER) if (RANGES.get(kind)!.check(address, family(address))) return kind;
  return 'public';
}

/** Kinds no rule ever allows. */
const NEVER: ReadonlySet<AddressKind> = new Set(['link-local', 'cloud-metadata', 'unspecified', 'reserved']);

/** A range written as `10.20.0.0/16`, `fd00::/8`, or a single address. */
export function parseRange(text: string): Cidr | undefined {
  const [address, prefixText, ...rest] = text.trim().split('/');
  if (rest.length > 0 || address === undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText === undefined) return [address, max];
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return undefined;
  return [address, Number(prefixText)];
}

/** Why a range cannot be named as reachable (it must be a loopback or private one), or undefined when it can. */
export function rangeProblem(text: string): string | undefined {
  const range = parseRange(text);
  if (!range) return `"${text}" is not an IP address or a range like 10.20.0.0/16`;
  const kind = addressKind(range[0])!;
  if (NEVER.has(kind)) return `"${text}" is ${describe(kind)}; the service never connects there`;
  if (kind === 'public') return `"${text}" is a public address; only loopback and private ranges are listed (public addresses need no listing)`;
  return undefined;
}

/** Why an address was refused, for errors and logs (never a URL: hosts and paths stay out of it). */
export interface AddressRefusal {
  readonly kind: AddressKind;
  readonly message: string;
}

/**
 * Which addresses one outbound request may connect to (issue 14: no pivot
 * through the service). Public addresses are always allowed; link-local,
 * cloud metadata, unspecified and reserved ones never; loopback and private ones only when
 * the operator named them for that destination (or, for URLs the operator
 * configured itself and in open development mode, all of them).
 */
export class AddressRules {
  /** Public addresses only: what a client with no fhirServers list may reach. */
  static readonly PUBLIC_ONLY = new AddressRules('public-only', undefined);
  /**
   * Public, loopback and private addresses (never link-local, cloud metadata,
   * unspecified or reserved ones): for URLs the operator wrote into the
   * clients file (jwksUrl, jku) and for open development mode, which keeps
   * on-premises servers reachable as before.
   */
  static readonly PUBLIC_AND_PRIVATE = new AddressRules('public-and-private', 'all');

  private constructor(
    /** Connections are pooled per key, so a socket opened under one set of rules never serves another. */
    readonly key: string,
    private readonly allowed: 'all' | BlockList | undefined,
  ) {}

  /** Public addresses and these loopback or private ranges (already checked with rangeProblem). */
  static naming(ranges: readonly string[]): AddressRules {
    if (ranges.length === 0) return AddressRules.PUBLIC_ONLY;
    const list = new BlockList();
    const spelled = [...new Set(ranges.map((r) => r.trim()))].sort();
    for (const text of spelled) {
      const range = parseRange(text);
      if (!range || rangeProblem(text)) throw new Error(`not a loopback or private range: ${text}`);
      list.addSubnet(range[0], range[1], family(range[0]));
    }
    return new AddressRules(`named:${spelled.join(',')}`, list);
  }

  /** Why a connection to `address` is refused, or undefined when it may be made. */
  refusal(address: string): AddressRefusal | undefined {
    const kind = addressKind(address);
    if (kind === undefined) return { kind: 'reserved', message: 'the address is not an IP address' };
    if (NEVER.has(kind)) return { kind, message: `the address is ${describe(kind)}; the service never connects there` };
    if (kind === 'public') return undefined;
    if (this.allowed === 'all') return undefined;
    if (this.allowed?.check(address, family(address))) return undefined;
    return { kind, message: `the address is ${describe(kind)}, and the service's configuration does not name it for this destination` };
  }
}

function describe(kind: AddressKind): string {
  switch (kind) {
    case 'link-local':
      return 'link-local (169.254.0.0/16 or fe80::/10, where cloud metadata services answer)';
    case 'cloud-metadata':
      return 'a cloud metadata service address';
    case 'unspecified':
      return 'unspecified (0.0.0.0/8 or ::)';
    case 'reserved':
      return 'multicast or reserved';
    case 'loopback':
      return 'a loopback address';
    case 'private':
      return 'a private-network address';
    case 'public':
      return 'a public address';
  }
}
