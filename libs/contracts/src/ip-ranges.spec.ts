import { ipBytes, specialPurposeRange } from './ip-ranges';

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
