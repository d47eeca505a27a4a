import { useState } from 'react';
import { Link, useLocation } from 'react-router';
import { useApiQuery } from '../../api/hooks';
import type { Tenant } from '../../api/types';
import { identity, SYSTEM_TENANT } from '../../auth/oidc';
import { Empty } from '../../components/Empty';
import { ErrorState } from '../../components/ErrorState';
import { dateTime } from '../../components/format';
import { Loading } from '../../components/Loading';
import { Button } from '../../components/ui';
import { DeleteTenantDialog } from './DeleteTenantDialog';
import './tenants.css';

/** The tenants of this server, for the system tenant's administrators: create, open, delete. */
export default function TenantsPage() {
  // fresh on every visit: tenants created elsewhere (the API, another administrator) show
  const tenants = useApiQuery('listTenants', {}, { refetchOnMount: 'always' });
  const location = useLocation();
  const [deleting, setDeleting] = useState<Tenant>();
  const [deleted, setDeleted] = useState<Tenant>();
  const isSystemAdmin = identity()?.realm === SYSTEM_TENANT;

  if (!isSystemAdmin)
    return (
      <section aria-labelledby="tenants-title">
        <h1 id="tenants-title">Tenants</h1>
        <p role="alert">
          Only administrators of the system tenant create and delete tenants. Sign in with your
          account in “{SYSTEM_TENANT}” to do so.
        </p>
      </section>
    );
  const created = (location.state as { created?: string } | null)?.created;
  return (
    <section aria-labelledby="tenants-title">
      <div className="page-head">
        <h1 id="tenants-title">Tenants</h1>
        <Link className="btn btn-primary" to="/tenants/new">
          New tenant
        </Link>
      </div>
      <p className="hint">
        Each tenant is an issuer of its own, with its own users, applications, resource servers and
        signing keys.
      </p>
      {deleted ? (
        <p role="status" className="saved">
          Deleted {deleted.name} ({deleted.slug}): its issuer no longer answers.
        </p>
      ) : created ? (
        <p role="status" className="saved">
          Created {created}.
        </p>
      ) : null}
      {tenants.isPending ? (
        <Loading what="tenants" />
      ) : tenants.isError ? (
        <ErrorState error={tenants.error} retry={() => void tenants.refetch()} />
      ) : tenants.data.length === 0 ? (
        <Empty>No tenants yet.</Empty>
      ) : (
        <ul className="tenant-list" aria-label="Tenants">
          {tenants.data.map((t) => (
            <li key={t.slug}>
              <article aria-labelledby={`tenant-${t.slug}`} className="tenant-card">
                <h2 id={`tenant-${t.slug}`}>
                  <Link to={`/t/${t.slug}/overview`}>{t.name}</Link>
                </h2>
                <dl className="facts">
                  <dt>Slug</dt>
                  <dd>
                    <code>{t.slug}</code>
                  </dd>
                  <dt>Issuer</dt>
                  <dd>
                    <code>{t.issuer}</code>
                  </dd>
                  <dt>Created</dt>
                  <dd>{dateTime(t.createdAt)}</dd>
                </dl>
                <div className="actions">
                  <Link className="btn btn-secondary" to={`/t/${t.slug}/settings`}>
                    Settings<span className="sr-only"> of {t.name}</span>
                  </Link>
                  {t.slug === SYSTEM_TENANT ? (
                    <span className="hint">
                      The system tenant holds this server’s administrators: it cannot be deleted.
                    </span>
                  ) : (
                    <Button variant="danger" onPress={() => setDeleting(t)}>
                      Delete<span className="sr-only"> {t.name}</span>
                    </Button>
                  )}
                </div>
              </article>
            </li>
          ))}
        </ul>
      )}
      {deleting ? (
        <DeleteTenantDialog
          tenant={deleting}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => {
            setDeleted(deleting);
            setDeleting(undefined);
          }}
        />
      ) : null}
    </section>
  );
}
