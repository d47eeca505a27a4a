import { Link, useLocation, useParams } from 'react-router';
import { useApiQuery } from '../../api/hooks';
import { identity, SYSTEM_TENANT } from '../../auth/oidc';
import { ErrorState } from '../../components/ErrorState';
import { dateTime } from '../../components/format';
import { Loading } from '../../components/Loading';
import { TenantAdmins } from './TenantAdmins';
import { TenantSettingsForm } from './TenantSettingsForm';
import '../tenants/tenants.css';
import './settings.css';

/** A tenant's settings: its name, default policy, rate limits and administrators. */
export default function TenantSettingsPage() {
  const { tenant: slug = '' } = useParams();
  const location = useLocation();
  const tenant = useApiQuery('getTenant', { path: { tenant: slug } });
  const created = (location.state as { created?: string } | null)?.created;

  if (tenant.isPending) return <Loading what="the tenant’s settings" />;
  if (tenant.isError)
    return <ErrorState error={tenant.error} retry={() => void tenant.refetch()} />;
  const t = tenant.data;
  const discovery = `${t.issuer}/.well-known/openid-configuration`;
  return (
    <section aria-labelledby="settings-title">
      {identity()?.realm === SYSTEM_TENANT ? (
        <p className="crumbs">
          <Link to="/tenants">Tenants</Link> /
        </p>
      ) : null}
      <h1 id="settings-title">Settings</h1>
      {created ? (
        <p role="status" className="saved">
          Created {created}. Next: add its first application, its users and administrators.
        </p>
      ) : null}
      <dl className="facts">
        <dt>Tenant</dt>
        <dd>
          {t.name} (<code>{t.slug}</code>)
        </dd>
        <dt>Issuer</dt>
        <dd>
          <code>{t.issuer}</code>
        </dd>
        <dt>Discovery</dt>
        <dd>
          <code>{discovery}</code>
        </dd>
        <dt>Signs with</dt>
        <dd>{t.signingAlg}</dd>
        <dt>Created</dt>
        <dd>{dateTime(t.createdAt)}</dd>
      </dl>
      <TenantSettingsForm key={t.slug} tenant={t} />
      <TenantAdmins tenant={t} />
    </section>
  );
}
