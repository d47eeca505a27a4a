// Pure parsing, no node:net: the console runs these same checks in the browser, so server and
// console can never disagree on an address (ip-ranges.spec.ts holds it to node:net's isIP).

/** A dotted quad, each part 0–255 in decimal without leading zeros (node:net's and WHATWG's form). */
function parseV4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    // "010" would be octal to inet_aton and decimal to others: refused rather than guessed
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes.push(Number(part));
  }
  return bytes;
}

/** One to four hex digits (RFC 4291 §2.2: leading zeros may be dropped, or kept). */
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The 16-bit groups of one side of `::`, a dotted IPv4 tail counting as two; undefined if malformed. */
function groupsOf(side: string, mayEndInV4: boolean): number[] | undefined {
  if (side === '') return [];
  const parts = side.split(':');
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    if (mayEndInV4 && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseV4(part);
      if (!v4) return undefined;
      groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (HEX_GROUP.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined; // an empty group outside `::`, or not hex
    }
  }
  return groups;
}

/**
 * RFC 4291 §2.2 text: eight groups, or fewer around one `::` that stands for at least one zero
 * group, the last 32 bits optionally as a dotted quad. No zone, no brackets.
 */
function parseV6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 1) {
    const all = groupsOf(text, true);
    if (!all || all.length !== 8) return undefined;
    groups = all;
  } else {
    const head = groupsOf(halves[0], false);
    const tail = groupsOf(halves[1], true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

/** A zone index after `%` (RFC 4007 §11): an interface name or number, as node:net accepts it. */
const ZONE = /^[0-9a-zA-Z.:-]+$/;

/**
 * The bytes of an IP address (4 for IPv4, 16 for IPv6), or undefined when the text is not one.
 * Reads exactly what node:net's `isIP` accepts — IPv4 parts without leading zeros, an IPv6 zone
 * (`fe80::1%eth0`, dropped) — and also the URL form `[::1]`.
 */
export function ipBytes(text: string): number[] | undefined {
  const literal = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseV4(literal);
  if (v4) return v4;
  const zone = literal.indexOf('%');
  if (zone < 0) return parseV6(literal);
  return ZONE.test(literal.slice(zone + 1)) ? parseV6(literal.slice(0, zone)) : undefined;
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
