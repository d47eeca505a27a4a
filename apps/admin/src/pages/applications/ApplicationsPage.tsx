import { useMemo } from 'react';
import { durationToSeconds } from '@tessera/contracts';
import { Link, useNavigate, useParams } from 'react-router';
import { useApiQuery } from '../../api/hooks';
import type { Application } from '../../api/types';
import { DataTable, type ColumnSpec } from '../../components/DataTable';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { SystemClientBadge } from './SystemClientBadge';

/** "idle 30m · absolute 14d": which lifetime is which, in the cell itself. */
const idleAbsolute = (idle: string, absolute: string) => `idle ${idle} · absolute ${absolute}`;

const columns = (tenant: string): ColumnSpec<Application>[] => [
  {
    id: 'name',
    header: 'Name',
    isRowHeader: true,
    sortValue: (a) => a.name,
    cell: (a) => (
      <>
        <Link to={`/t/${tenant}/applications/${encodeURIComponent(a.clientId)}`}>{a.name}</Link>
        {a.isSystem ? <SystemClientBadge /> : null}
      </>
    ),
  },
  {
    id: 'clientId',
    header: 'Client ID',
    sortValue: (a) => a.clientId,
    cell: (a) => <code>{a.clientId}</code>,
  },
  { id: 'type', header: 'Type', sortValue: (a) => a.type, cell: (a) => a.type },
  {
    id: 'access',
    header: 'Access token',
    sortValue: (a) => durationToSeconds(a.effectivePolicy.accessTokenTtl),
    cell: (a) => a.effectivePolicy.accessTokenTtl,
  },
  {
    id: 'refresh',
    header: 'Refresh token',
    cell: (a) =>
      idleAbsolute(a.effectivePolicy.refreshIdleTtl, a.effectivePolicy.refreshAbsoluteTtl),
  },
  {
    id: 'session',
    header: 'Session',
    cell: (a) =>
      idleAbsolute(a.effectivePolicy.sessionIdleTtl, a.effectivePolicy.sessionAbsoluteTtl),
  },
  {
    id: 'rotation',
    header: 'Rotation',
    sortValue: (a) => (a.effectivePolicy.rotation ? 1 : 0),
    cell: (a) =>
      a.effectivePolicy.rotation
        ? `on, ${a.effectivePolicy.reuseGraceSeconds} s grace, ${a.effectivePolicy.onReuse}`
        : 'off',
  },
];

export default function ApplicationsPage() {
  const { tenant = '' } = useParams();
  const navigate = useNavigate();
  const apps = useApiQuery('listApplications', { path: { tenant } });
  const cols = useMemo(() => columns(tenant), [tenant]);
  return (
    <section aria-labelledby="apps-title">
      <div className="page-head">
        <h1 id="apps-title">Applications</h1>
        <Link className="btn btn-primary" to={`/t/${tenant}/applications/new`}>
          New application
        </Link>
      </div>
      {apps.isPending ? (
        <Loading what="applications" />
      ) : apps.isError ? (
        <ErrorState error={apps.error} retry={() => void apps.refetch()} />
      ) : (
        <DataTable
          label="Applications"
          rows={apps.data}
          columns={cols}
          onRowAction={(a) =>
            void navigate(`/t/${tenant}/applications/${encodeURIComponent(a.clientId)}`)
          }
          rowId={(a) => a.clientId}
          initialSort={{ id: 'name', desc: false }}
          empty="No applications yet. Create one to let users sign in."
        />
      )}
    </section>
  );
}
