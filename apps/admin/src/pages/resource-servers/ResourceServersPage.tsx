import { useMemo } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useApiQuery } from '../../api/hooks';
import type { ResourceServer } from '../../api/types';
import { DataTable, type ColumnSpec } from '../../components/DataTable';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';

const columns = (tenant: string): ColumnSpec<ResourceServer>[] => [
  {
    id: 'name',
    header: 'Name',
    isRowHeader: true,
    sortValue: (r) => r.name,
    cell: (r) => <Link to={`/t/${tenant}/resource-servers/${r.id}`}>{r.name}</Link>,
  },
  {
    id: 'identifier',
    header: 'Identifier (aud)',
    sortValue: (r) => r.identifier,
    cell: (r) => <code>{r.identifier}</code>,
  },
  {
    id: 'scopes',
    header: 'Scopes',
    sortValue: (r) => r.scopes.length,
    cell: (r) => r.scopes.map((s) => s.name).join(', ') || '—',
  },
  {
    id: 'groups',
    header: 'Permission groups',
    sortValue: (r) => r.permissionGroups.length,
    cell: (r) => r.permissionGroups.map((g) => g.name).join(', ') || '—',
  },
  { id: 'baseUrls', header: 'API base URLs', cell: (r) => r.baseUrls.join(' ') || '—' },
];

export default function ResourceServersPage() {
  const { tenant = '' } = useParams();
  const navigate = useNavigate();
  const servers = useApiQuery('listResourceServers', { path: { tenant } });
  const cols = useMemo(() => columns(tenant), [tenant]);
  return (
    <section aria-labelledby="rs-title">
      <div className="page-head">
        <h1 id="rs-title">Resource servers</h1>
        <Link className="btn btn-primary" to={`/t/${tenant}/resource-servers/new`}>
          New resource server
        </Link>
      </div>
      <p className="hint">
        The APIs tokens are for: each has an identifier (the tokens&apos; <code>aud</code>), scopes,
        and permission groups that bundle scopes for users.
      </p>
      {servers.isPending ? (
        <Loading what="resource servers" />
      ) : servers.isError ? (
        <ErrorState error={servers.error} retry={() => void servers.refetch()} />
      ) : (
        <DataTable
          label="Resource servers"
          rows={servers.data}
          columns={cols}
          onRowAction={(r) => void navigate(`/t/${tenant}/resource-servers/${r.id}`)}
          rowId={(r) => r.id}
          initialSort={{ id: 'name', desc: false }}
          empty="No resource servers yet. Register the APIs your applications call."
        />
      )}
    </section>
  );
}
