import { Link } from 'react-router';
import { useApiQuery } from '../../api/hooks';
import type { ResourceServer } from '../../api/types';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';

/** A grant's flows as the application's page names them. */
const FLOW_LABELS: Record<string, string> = {
  user: 'signed-in users',
  client_credentials: 'client credentials',
};

/** Which applications may request what from this API (granted on each application's page). */
export function WhoMayRequest({ tenant, server }: { tenant: string; server: ResourceServer }) {
  const apps = useApiQuery('listApplications', { path: { tenant } });
  const granted = (apps.data ?? []).flatMap((a) =>
    a.grants
      .filter((g) => g.resourceServer === server.identifier)
      .map((g) => ({ app: a, grant: g })),
  );
  return (
    <fieldset>
      <legend>Applications that may request from it</legend>
      {apps.isPending ? (
        <Loading what="applications" />
      ) : apps.isError ? (
        <ErrorState error={apps.error} retry={() => void apps.refetch()} />
      ) : granted.length === 0 ? (
        <p className="hint">None yet: grant access on an application&apos;s page.</p>
      ) : (
        <ul>
          {granted.map(({ app, grant }) => (
            <li key={app.clientId}>
              <Link to={`/t/${tenant}/applications/${encodeURIComponent(app.clientId)}`}>
                {app.name}
              </Link>
              :{' '}
              {[...grant.scopes, ...grant.permissionGroups.map((g) => `group ${g}`)].join(', ') ||
                'no scopes'}{' '}
              ({grant.flows.map((f) => FLOW_LABELS[f] ?? f).join(', ')})
            </li>
          ))}
        </ul>
      )}
    </fieldset>
  );
}
