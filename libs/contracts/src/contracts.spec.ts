import {
  applyPolicy,
  checkPolicyOrder,
  durationToSeconds,
  policySchema,
  resourceServerSchema,
  secondsToDuration,
  type EffectivePolicy,
} from './index';
import { backchannelUriProblem, isPrivateHost, redirectUriProblem } from './uris';

describe('durations', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['12h', 43200],
    ['14d', 1209600],
  ])('reads %s as %i seconds and writes it back', (text, seconds) => {
    expect(durationToSeconds(text)).toBe(seconds);
    expect(secondsToDuration(seconds)).toBe(text);
  });

  it('writes the largest unit that divides evenly', () => {
    expect(secondsToDuration(90)).toBe('90s');
    expect(secondsToDuration(7200)).toBe('2h');
  });

  it('refuses anything else', () => {
    for (const bad of ['15', 'm', '1.5h', '-1m', '15 m', '1w'])
      expect(() => durationToSeconds(bad)).toThrow();
  });
});

describe('policy order', () => {
  const ok: EffectivePolicy = {
    accessTokenTtl: 300,
    refreshIdleTtl: 86400,
    refreshAbsoluteTtl: 864000,
    sessionIdleTtl: 86400,
    sessionAbsoluteTtl: 864000,
    sliding: true,
    rotation: true,
    reuseGraceSeconds: 10,
    onReuse: 'revoke-session',
  };

  it('accepts a consistent policy', () => expect(checkPolicyOrder(ok)).toEqual([]));

  it('names each contradiction', () => {
    const p = applyPolicy(ok, {
      accessTokenTtl: '11d',
      refreshIdleTtl: '11d',
      sessionIdleTtl: '11d',
    });
    expect(checkPolicyOrder(p).map((i) => i.path)).toEqual([
      'accessTokenTtl',
      'refreshIdleTtl',
      'sessionIdleTtl',
    ]);
    expect(
      checkPolicyOrder({ ...ok, refreshAbsoluteTtl: ok.sessionAbsoluteTtl + 1 }).map((i) => i.path),
    ).toEqual(['refreshAbsoluteTtl']);
  });
});

describe('the access-token cap', () => {
  const rs = (accessTokenTtl: string) =>
    resourceServerSchema.safeParse({
      identifier: 'https://api.example/x',
      name: 'X',
      accessTokenTtl,
    });

  it('holds for a resource server as for a policy: up to 1d, never beyond', () => {
    for (const ok of ['1d', '24h', '86400s']) {
      expect(rs(ok).success).toBe(true);
      expect(policySchema.safeParse({ accessTokenTtl: ok }).success).toBe(true);
    }
    for (const tooLong of ['400d', '25h', '86401s']) {
      expect(rs(tooLong).error?.issues.map((i) => [i.path, i.message])).toEqual([
        [['accessTokenTtl'], 'At most 1d'],
      ]);
      expect(policySchema.safeParse({ accessTokenTtl: tooLong }).success).toBe(false);
    }
  });
});

describe('URIs', () => {
  it.each([
    'https://app.example/cb',
    'http://localhost:5173/cb',
    'http://127.0.0.1/cb',
    'http://[::1]:8080/cb',
    'com.example.app:/cb',
  ])('accepts redirect URI %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeUndefined();
  });

  it.each([
    '/cb',
    'https://app.example/cb#x',
    'http://app.example/cb',
    'https://u:p@app.example/cb',
    'javascript:alert(1)',
    'myapp:/cb',
  ])('refuses redirect URI %s', (uri) => {
    expect(redirectUriProblem(uri)).toEqual(expect.any(String));
  });

  it.each([
    '127.0.0.1',
    'localhost',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '[::1]',
    '[fd00::1]',
    '[fe80::1]',
    'a.localhost',
    '0.0.0.0',
    '100.64.0.1',
    '198.18.0.1',
    '224.0.0.1',
    '[::ffff:7f00:1]',
    '[64:ff9b::a9fe:a9fe]',
  ])('treats %s as private', (host) => {
    expect(isPrivateHost(host)).toBe(true);
  });

  it('refuses private back-channel targets unless allowed, and http to public hosts always', () => {
    expect(backchannelUriProblem('https://10.0.0.1/bcl', false)).toMatch(/not allowed/);
    expect(backchannelUriProblem('http://10.0.0.1/bcl', true)).toBeUndefined();
    expect(backchannelUriProblem('http://rp.example.com/bcl', true)).toBe('Use https');
    expect(backchannelUriProblem('https://rp.example.com/bcl', false)).toBeUndefined();
    // the URL parser writes every spelling of an address in one form before the check
    expect(backchannelUriProblem('https://[::ffff:127.0.0.1]/bcl', false)).toMatch(/not allowed/);
    expect(backchannelUriProblem('https://0x7f.1/bcl', false)).toMatch(/not allowed/);
  });
});
