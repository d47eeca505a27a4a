import { tenantCookies } from './cookies';

describe('tenant cookie names and scope', () => {
  it('uses __Host- with Path=/ and the slug in the name on https at the root of the host', () => {
    expect(
      tenantCookies('https://id.example.com', 'https://id.example.com/t/acme', 'acme'),
    ).toEqual({
      session: '__Host-tessera_session-acme',
      csrf: '__Host-tessera_csrf-acme',
      path: '/',
      secure: true,
    });
  });

  it('uses __Secure- with the issuer path on https below a path (Path=/ would reach the host’s other applications)', () => {
    expect(
      tenantCookies('https://example.com/auth', 'https://example.com/auth/t/acme', 'acme'),
    ).toEqual({
      session: '__Secure-tessera_session',
      csrf: '__Secure-tessera_csrf',
      path: '/auth/t/acme',
      secure: true,
    });
  });

  it('uses plain names with the issuer path on http, where browsers refuse prefixed cookies', () => {
    expect(tenantCookies('http://127.0.0.1:3000', 'http://127.0.0.1:3000/t/acme', 'acme')).toEqual({
      session: 'tessera_session',
      csrf: 'tessera_csrf',
      path: '/t/acme',
      secure: false,
    });
  });
});
