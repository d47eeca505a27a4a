import { BlockList, isIP } from 'node:net';
import fc from 'fast-check';
import { ipBytes, specialPurposeRange } from './ip-ranges';

/** 0, 4 or 6, as node:net's isIP answers, from what ipBytes read. */
const familyOf = (bytes: number[] | undefined) => (!bytes ? 0 : bytes.length === 4 ? 4 : 6);

/** node:net's verdict on a text, brackets (the URL form, which ipBytes also reads) taken off. */
const nodeFamily = (text: string) =>
  isIP(text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text);

/** Node's own reading of an address it accepts: does it fall in the one-address block of `bytes`? */
function nodeReadsSameBytes(text: string, bytes: number[]): boolean {
  const family = bytes.length === 4 ? 'ipv4' : 'ipv6';
  const exact =
    family === 'ipv4'
      ? bytes.join('.')
      : Array.from({ length: 8 }, (_, i) =>
          ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16),
        ).join(':');
  const list = new BlockList();
  list.addSubnet(exact, family === 'ipv4' ? 32 : 128, family);
  return list.check(text.split('%')[0], family);
}

/**
 * Address texts built to hit every corner of the grammar: 0–9 groups, `::` in every position or
 * none, a dotted IPv4 tail, groups with leading zeros or too many digits, zones good and bad.
 */
function generatedAddresses(): string[] {
  const wellFormed = ['0', '1', 'ffff', 'FfFf', '0000', 'fe80', '7f00', 'abc'];
  const anyGroup = [...wellFormed, '00001', 'abcg', ''];
  const tails = ['', '1.2.3.4', '127.0.0.1', '1.2.3.04', '256.1.1.1', '1.2.3'];
  const zones = ['', '%eth0', '%1', '%a:b.c-d', '%', '%a b', '%%', '%é', '%a%b'];
  const out = new Set<string>();
  for (const spellings of [wellFormed, anyGroup]) {
    let k = 0;
    for (let count = 0; count <= 9; count++) {
      const groups = Array.from({ length: count }, () => spellings[k++ % spellings.length]);
      for (let at = -1; at <= count; at++) {
        const text =
          at < 0
            ? groups.join(':')
            : `${groups.slice(0, at).join(':')}::${groups.slice(at).join(':')}`;
        for (const tail of tails) {
          const withTail =
            !tail || !text
              ? `${text}${tail}`
              : text.endsWith(':')
                ? `${text}${tail}`
                : `${text}:${tail}`;
          for (const zone of zones) out.add(`${withTail}${zone}`);
        }
      }
    }
  }
  return [...out];
}

describe('IP literals read exactly as node:net reads them', () => {
  // the console runs this parser in the browser, the server in node: any disagreement with
  // node:net would let the two sides judge one URI differently
  const tricky = [
    ['127.0.0.1', 4],
    ['0.0.0.0', 4],
    ['255.255.255.255', 4],
    ['256.0.0.1', 0],
    ['01.2.3.4', 0], // leading zero: octal to some parsers, refused
    ['127.000.0.1', 0],
    ['127.1', 0], // shorthand the URL parser expands, not an address here
    ['0x7f.0.0.1', 0],
    ['1.2.3.4.', 0],
    [' 1.2.3.4', 0],
    ['1.2.3.4%eth0', 0], // zones are for IPv6 only
    ['::', 6],
    ['::1', 6],
    [':::', 0],
    ['::1::', 0],
    [':1::', 0],
    ['1::', 6],
    ['1:2:3:4:5:6:7:8', 6],
    ['1:2:3:4:5:6:7::', 6],
    ['1:2:3:4::5:6:7:8', 0], // `::` stands for at least one group
    ['1:2:3:4:5:6:7:8:9', 0],
    ['0001:02:3:4:5:6:7:8', 6], // leading zeros are fine in IPv6 groups…
    ['00001::', 0], // …up to four digits
    ['::ffff:127.0.0.1', 6], // IPv4-mapped
    ['::ffff:7f00:1', 6],
    ['::127.0.0.1', 6],
    ['1:2:3:4:5:6:1.2.3.4', 6],
    ['1:2:3:4:5:6:7:1.2.3.4', 0],
    ['::ffff:1.2.3.04', 0],
    ['::ffff:1.2.3', 0],
    ['1.2.3.4::', 0],
    ['fe80::1%eth0', 6], // zone id
    ['fe80::1%25', 6],
    ['fe80::1%', 0],
    ['fe80::1%a b', 0],
    ['', 0],
    ['[]', 0],
    ['localhost', 0],
  ] as const;

  it.each(tricky)('node:net says isIP(%j) is %i, and so do we', (text, family) => {
    expect(isIP(text)).toBe(family);
    expect(familyOf(ipBytes(text))).toBe(family);
    expect(familyOf(ipBytes(`[${text}]`))).toBe(family); // the URL form reads the same
  });

  it('agrees with node:net on thousands of generated addresses, bracketed or not', () => {
    const texts = generatedAddresses();
    expect(texts.length).toBeGreaterThan(3000);
    const disagreements = texts.filter(
      (t) => familyOf(ipBytes(t)) !== isIP(t) || familyOf(ipBytes(`[${t}]`)) !== isIP(t),
    );
    expect(disagreements).toEqual([]);
    expect(texts.filter((t) => isIP(t) === 6).length).toBeGreaterThan(300); // both sides covered
  });

  it('reads the same bytes as node:net for every address both accept', () => {
    const accepted = generatedAddresses().filter((t) => isIP(t) !== 0);
    const misread = accepted.filter((t) => !nodeReadsSameBytes(t, ipBytes(t)!)); // accepted above
    expect(misread).toEqual([]);
  });

  it('agrees with node:net on random strings of address characters', () => {
    const unit = fc.constantFrom(...'0123456789abcdefABCDEFg:.%[] -'.split(''));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 45 }), (text) => {
        expect(familyOf(ipBytes(text))).toBe(nodeFamily(text));
      }),
      { numRuns: 20000 },
    );
  });
});

describe('IP address parsing', () => {
  it.each([
    ['127.0.0.1', [127, 0, 0, 1]],
    ['::1', [...Array(15).fill(0), 1]],
    ['[::1]', [...Array(15).fill(0), 1]],
    ['::ffff:127.0.0.1', [...Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 1]],
    ['::ffff:7f00:1', [...Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 1]],
    ['fe80::1%eth0', [0xfe, 0x80, ...Array(13).fill(0), 1]],
    ['2001:db8:0:0:1:0:0:1', [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]],
    ['1::', [0, 1, ...Array(14).fill(0)]],
  ])('reads %s', (text, bytes) => {
    expect(ipBytes(text)).toEqual(bytes);
  });

  it.each(['localhost', '127.1', '1.2.3.256', '::g', '', 'example.com'])(
    'is not an address: %s',
    (text) => expect(ipBytes(text)).toBeUndefined(),
  );
});

describe('addresses a server-side request must never reach', () => {
  it.each([
    ['0.0.0.0', 'this network'],
    ['0.1.2.3', 'this network'],
    ['10.0.0.1', 'private'],
    ['100.64.0.1', 'shared address space (CGNAT)'],
    ['100.127.255.254', 'shared address space (CGNAT)'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link-local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.170', 'IETF protocol assignments'],
    ['192.0.2.1', 'documentation'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'limited broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['::ffff:8.8.8.8', 'IPv4-mapped'], // even a public one: a name that answers this is suspect
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::ffff:0:a00:1', 'IPv4-translated'],
    ['64:ff9b::7f00:1', 'NAT64'],
    ['64:ff9b::a9fe:a9fe', 'NAT64'],
    ['64:ff9b:1::1', 'NAT64 (local use)'],
    ['100::1', 'discard-only'],
    ['2001:db8::1', 'documentation'],
    ['2001::1', 'IETF protocol assignments'],
    ['2002:7f00:1::1', '6to4'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['[::1]', 'loopback'],
  ])('refuses %s (%s)', (address, name) => {
    expect(specialPurposeRange(address)).toBe(name);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255', // just below CGNAT
    '100.128.0.0', // just above it
    '172.15.255.255',
    '172.32.0.0',
    '198.17.255.255',
    '198.20.0.0', // around benchmarking
    '223.255.255.255', // below multicast
    '2606:4700:4700::1111',
    '2001:4860:4860::8888',
    '2001:200::1', // the first allocated block after 2001::/23
    'fbff::1', // just below unique-local
    'fe7f::1',
  ])('lets a globally reachable address through: %s', (address) => {
    expect(specialPurposeRange(address)).toBeUndefined();
  });

  it('refuses what is not an address (names are resolved first)', () => {
    expect(specialPurposeRange('localhost')).toBe('not an IP address');
  });
});
