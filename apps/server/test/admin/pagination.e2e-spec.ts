import { useTestServer, type Reply } from '../support/harness';

/** The path of a `Link: <…>; rel="next"` header, or null when there is no next page. */
const nextOf = (res: Reply): string | null => {
  const link = res.headers.get('link');
  if (!link) return null;
  const m = /^<([^>]+)>; rel="next"$/.exec(link);
  if (!m) throw new Error(`not a next link: ${link}`);
  return m[1];
};

describe('admin list pagination', () => {
  const t = useTestServer();
  let slug: string;
  let token: string;
  const emails: string[] = [];

  beforeAll(async () => {
    ({ slug } = await t.given.tenant());
    token = await t.adminToken();
    for (let i = 0; i < 7; i++) emails.push((await t.given.user(slug)).email);
    for (let i = 0; i < 5; i++) await t.given.app(slug);
  });

  /** Follows `Link` from the first page until none is left; every page's items, in order. */
  const walk = async (first: string) => {
    const pages: unknown[][] = [];
    for (let path: string | null = first; path;) {
      const res = await t.get(path, token);
      expect(res.status).toBe(200);
      pages.push(Array.isArray(res.body) ? res.body : res.body.items);
      path = nextOf(res);
      expect(pages.length).toBeLessThan(50); // a cursor that loops fails here, not by timeout
    }
    return pages;
  };

  it('walks every user exactly once by following Link, in the order of the whole list', async () => {
    const whole = await t.get(`/admin/api/tenants/${slug}/users`, token);
    expect(whole.headers.get('link')).toBeNull(); // fewer than the default 100: one page
    const pages = await walk(`/admin/api/tenants/${slug}/users?limit=3`);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(whole.body);
    const seen = whole.body.map((u: { email: string }) => u.email);
    expect(seen).toEqual(expect.arrayContaining(emails));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('keeps the other parameters on the next link, and pages applications and keys the same way', async () => {
    const res = await t.get(`/admin/api/tenants/${slug}/users?limit=1&email=${emails[0]}`, token);
    expect(res.body.map((u: { email: string }) => u.email)).toEqual([emails[0]]);
    expect(nextOf(res)).toBeNull();
    const first = await t.get(`/admin/api/tenants/${slug}/users?limit=2&x=kept`, token);
    const next = new URL(nextOf(first)!, 'http://x');
    expect(next.pathname).toBe(`/admin/api/tenants/${slug}/users`);
    expect([next.searchParams.get('limit'), next.searchParams.get('x')]).toEqual(['2', 'kept']);
    expect(next.searchParams.get('cursor')).toEqual(expect.any(String));
    for (const list of ['applications', 'keys', 'resource-servers', 'admins']) {
      const whole = await t.get(`/admin/api/tenants/${slug}/${list}`, token);
      expect({ list, status: whole.status }).toEqual({ list, status: 200 });
      const pages = await walk(`/admin/api/tenants/${slug}/${list}?limit=1`);
      expect({ list, items: pages.flat() }).toEqual({ list, items: whole.body });
      // one item a page, as many pages as items (an empty list is one empty page)
      expect({ list, sizes: pages.map((p) => p.length) }).toEqual({
        list,
        sizes: whole.body.length ? whole.body.map(() => 1) : [0],
      });
      if (list === 'applications') expect(whole.body.length).toBeGreaterThanOrEqual(5);
    }
  });

  it.each([
    ['0', 400],
    ['201', 400],
    ['-1', 400],
    ['x', 400],
    ['1', 200],
    ['200', 200],
  ])('bounds limit=%s → %i, naming the parameter', async (limit, status) => {
    const res = await t.get(`/admin/api/tenants/${slug}/users?limit=${limit}`, token);
    expect(res.status).toBe(status);
    if (status === 400)
      expect(res.body).toMatchObject({
        code: 'validation_failed',
        errors: [{ pointer: '/limit', detail: expect.any(String) }],
      });
  });

  it('refuses a cursor it did not make with a problem naming it', async () => {
    for (const cursor of ['garbage', Buffer.from('[1]').toString('base64url'), 'x'.repeat(501)]) {
      const res = await t.get(`/admin/api/tenants/${slug}/applications?cursor=${cursor}`, token);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        type: 'about:blank',
        status: 400,
        code: 'validation_failed',
        errors: [{ pointer: '/cursor', detail: expect.any(String) }],
      });
    }
  });
});
