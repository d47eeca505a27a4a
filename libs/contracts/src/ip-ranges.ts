import { isIP } from 'node:net';

/**
 * The bytes of an IP address (4 for IPv4, 16 for IPv6), or undefined when the text is not one.
 * Accepts the URL form `[::1]` and drops an IPv6 zone (`fe80::1%eth0`).
 */
export function ipBytes(text: string): number[] | undefined {
  let a = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const family = isIP(a);
  if (family === 4) return a.split('.').map(Number);
  if (family !== 6) return undefined;
  // a dotted IPv4 tail (::ffff:127.0.0.1) is the last two groups
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (dotted) {
    const [b0, b1, b2, b3] = dotted.slice(1).map(Number);
    a = `${a.slice(0, dotted.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head, tail] = a.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all =
    tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

interface Range {
  bytes: number[];
  bits: number;
  name: string;
}

function range(cidr: string, name: string): Range {
  const [address, bits] = cidr.split('/');
  return { bytes: ipBytes(address)!, bits: Number(bits), name }; // the literals below are valid
}

// The IANA special-purpose registries (RFC 6890 and its updates): every block that is not globally
// reachable, plus multicast. More specific blocks first, so the name is the most precise one.
const V4: Range[] = [
  range('0.0.0.0/8', 'this network'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'shared address space (CGNAT)'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'IETF protocol assignments'),
  range('192.0.2.0/24', 'documentation'),
  range('192.88.99.0/24', '6to4 relay anycast'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'benchmarking'),
  range('198.51.100.0/24', 'documentation'),
  range('203.0.113.0/24', 'documentation'),
  range('224.0.0.0/4', 'multicast'),
  range('255.255.255.255/32', 'limited broadcast'),
  range('240.0.0.0/4', 'reserved'),
];
const V6: Range[] = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  // addresses that carry an IPv4 address reach it, whatever it is: refused as a whole
  range('::ffff:0:0/96', 'IPv4-mapped'),
  range('::ffff:0:0:0/96', 'IPv4-translated'),
  range('::/96', 'IPv4-compatible'),
  range('64:ff9b::/96', 'NAT64'),
  range('64:ff9b:1::/48', 'NAT64 (local use)'),
  range('100::/64', 'discard-only'),
  range('2001:db8::/32', 'documentation'),
  range('2001::/23', 'IETF protocol assignments'),
  range('2002::/16', '6to4'),
  range('3fff::/20', 'documentation'),
  range('fc00::/7', 'unique-local'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'site-local'),
  range('ff00::/8', 'multicast'),
];

function contains(r: Range, bytes: number[]): boolean {
  for (let bit = 0; bit < r.bits; bit += 8) {
    const n = Math.min(8, r.bits - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if ((bytes[bit / 8] & mask) !== (r.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

/**
 * Why an address must never be the target of a server-side request — loopback, private,
 * link-local, CGNAT, benchmarking, multicast, IPv4 carried in IPv6, NAT64, unique-local… — as the
 * name of its block; undefined for a globally reachable unicast address. Not an IP address at all
 * is refused too ('not an IP address'): the caller resolves names first.
 */
export function specialPurposeRange(address: string): string | undefined {
  const bytes = ipBytes(address);
  if (!bytes) return 'not an IP address';
  return (bytes.length === 4 ? V4 : V6).find((r) => contains(r, bytes))?.name;
}
