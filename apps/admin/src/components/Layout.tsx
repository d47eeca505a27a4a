import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { NavLink, Navigate, Outlet, useLocation, useNavigate, useParams } from 'react-router';
import { ApiError } from '../api/client';
import { useApiQuery } from '../api/hooks';
import { identity, signOut, switchTo, SYSTEM_TENANT } from '../auth/oidc';
import { ErrorState } from './ErrorState';
import { Loading } from './Loading';
import { SaveConfirmation } from './SaveConfirmation';
import { Button } from './ui/Button';

const PAGES = [
  ['overview', 'Overview'],
  ['sessions', 'Live sessions'],
  ['history', 'Session history'],
  ['applications', 'Applications'],
  ['resource-servers', 'Resource servers'],
  ['users', 'Users'],
  ['keys', 'Signing keys'],
  ['audit', 'Audit log'],
  ['settings', 'Settings'],
] as const;

/** Header (tenant switcher, who is signed in, sign out), navigation and the page. */
export function Layout() {
  const { tenant } = useParams();
  const tenants = useApiQuery('listTenants', {}, { staleTime: 60_000 });
  const navigate = useNavigate();
  const location = useLocation();
  const me = identity();

  if (tenants.isPending) return <Loading what="your tenants" />;
  // 403: signed in, but holding none of the admin API's scopes (not an administrator)
  const isRefused = tenants.error instanceof ApiError && tenants.error.status === 403;
  if (tenants.isError && !isRefused)
    return <ErrorState error={tenants.error} retry={() => void tenants.refetch()} />;
  const list = tenants.data ?? [];
  const who = me ? `${me.email ?? me.sub} (${me.realm})` : '';
  const isSystemAdmin = me?.realm === SYSTEM_TENANT;
  const isTenantsPage = location.pathname.split('/')[1] === 'tenants';
  if (list.length === 0)
    return (
      <main className="center" id="main">
        <p role="alert">
          {who} does not administer {tenant ? `“${tenant}”` : 'this tenant'}: an administrator of
          the tenant can give you the admin role.
        </p>
        <Button onPress={() => void signOut()}>Sign out</Button>
      </main>
    );
  // the system tenant is every tenant's parent: start in a customer tenant when there is one
  const first = list.find((t) => t.slug !== SYSTEM_TENANT) ?? list[0];
  if (!tenant && !isTenantsPage) return <Navigate to={`/t/${first.slug}/overview`} replace />;
  if (tenant && !list.some((t) => t.slug === tenant))
    return (
      <main className="center" id="main">
        {isSystemAdmin ? (
          <>
            <p role="alert">There is no tenant called “{tenant}”.</p>
            <Button
              variant="primary"
              onPress={() => void navigate(`/tenants/new?slug=${encodeURIComponent(tenant)}`)}
            >
              Create tenant “{tenant}”
            </Button>
          </>
        ) : (
          <>
            <p role="alert">
              You are signed in as {who}, which does not administer “{tenant}”. Its administrators
              sign in with their account in “{tenant}”.
            </p>
            <Button variant="primary" onPress={() => void switchTo(tenant)}>
              Sign in to {tenant}
            </Button>
          </>
        )}
        <NavLink to={`/t/${first.slug}/overview`}>Go to {first.name}</NavLink>
      </main>
    );
  const section = location.pathname.split('/')[3] || 'overview';
  const current = tenant ?? first.slug; // the Tenants page belongs to no one tenant

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Tessera admin</span>
        {list.length > 1 ? (
          <label className="switcher">
            <span>Tenant</span>
            <select
              value={current}
              onChange={(e) => void navigate(`/t/${e.target.value}/${section}`)}
              aria-label="Tenant"
            >
              {list.map((t) => (
                <option key={t.slug} value={t.slug}>
                  {t.name} ({t.slug})
                </option>
              ))}
            </select>
          </label>
        ) : (
          <span className="switcher">{list[0].name}</span>
        )}
        <span className="me">{who}</span>
        <Button onPress={() => void signOut()}>Sign out</Button>
      </header>
      <SectionsNav tenant={current} current={section} hasTenants={isSystemAdmin} />
      <main id="main" tabIndex={-1}>
        <SaveConfirmation />
        <Outlet />
      </main>
    </div>
  );
}

/**
 * The sections: a side list on wide screens; on narrow ones (styles.css, max-width 760px) a Menu
 * button that opens the whole list, every section in it. Opening moves the focus to the current
 * section; Escape closes it and gives the focus back to the button; choosing a section closes it
 * and moves the focus to the page.
 */
function SectionsNav(p: { tenant: string; current: string; hasTenants: boolean }) {
  const [isOpen, setOpen] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLUListElement>(null);
  const wasOpen = useRef(false);
  const { pathname } = useLocation();

  useEffect(() => {
    if (!isOpen) return;
    const links = list.current;
    (
      links?.querySelector<HTMLElement>('a[aria-current="page"]') ?? links?.querySelector('a')
    )?.focus();
  }, [isOpen]);

  // a section was chosen: the menu closes and the page takes the focus
  useEffect(() => {
    if (!wasOpen.current) return;
    wasOpen.current = false;
    setOpen(false);
    document.getElementById('main')?.focus();
  }, [pathname]);
  useEffect(() => {
    wasOpen.current = isOpen;
  }, [isOpen]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && isOpen) {
      e.preventDefault();
      setOpen(false);
      toggle.current?.focus();
    }
  };
  const currentLabel = PAGES.find(([path]) => path === p.current)?.[1];

  return (
    <nav className="sidenav" aria-label="Sections" onKeyDown={onKeyDown}>
      <button
        ref={toggle}
        type="button"
        className="btn nav-toggle"
        aria-expanded={isOpen}
        aria-controls="sections-list"
        onClick={() => setOpen((o) => !o)}
      >
        <span aria-hidden="true">{isOpen ? '✕' : '☰'}</span> Menu
        {currentLabel ? <span className="nav-current">: {currentLabel}</span> : null}
      </button>
      <ul ref={list} id="sections-list" data-open={isOpen || undefined}>
        {PAGES.map(([path, label]) => (
          <li key={path}>
            <NavLink to={`/t/${p.tenant}/${path}`}>{label}</NavLink>
          </li>
        ))}
        {p.hasTenants ? (
          <li>
            <NavLink to="/tenants">Tenants</NavLink>
          </li>
        ) : null}
      </ul>
    </nav>
  );
}
