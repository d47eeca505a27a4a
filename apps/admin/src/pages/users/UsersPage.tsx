import { useMemo, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { useApiQuery } from '../../api/hooks';
import type { User } from '../../api/types';
import { DataTable, type ColumnSpec } from '../../components/DataTable';
import { ErrorState } from '../../components/ErrorState';
import { dateTime } from '../../components/format';
import { Loading } from '../../components/Loading';
import { Button, Field } from '../../components/ui';
import { NewUserDialog } from './NewUserDialog';

const columns = (tenant: string): ColumnSpec<User>[] => [
  {
    id: 'email',
    header: 'Email',
    isRowHeader: true,
    sortValue: (u) => u.email,
    cell: (u) => <Link to={`/t/${tenant}/users/${u.id}`}>{u.email}</Link>,
  },
  {
    id: 'status',
    header: 'Status',
    sortValue: (u) => (u.isDisabled ? 1 : 0),
    cell: (u) => (u.isDisabled ? 'Disabled' : 'Active'),
  },
  {
    id: 'roles',
    header: 'Roles',
    sortValue: (u) => u.roles.join(','),
    cell: (u) => u.roles.join(', ') || '—',
  },
  {
    id: 'createdAt',
    header: 'Created',
    sortValue: (u) => u.createdAt,
    cell: (u) => dateTime(u.createdAt),
  },
];

export default function UsersPage() {
  const { tenant = '' } = useParams();
  const navigate = useNavigate();
  const [search, setSearch] = useSearchParams();
  const q = search.get('q') ?? '';
  const users = useApiQuery('listUsers', { path: { tenant } });
  const cols = useMemo(() => columns(tenant), [tenant]);
  const [isCreating, setCreating] = useState(false);
  const rows = useMemo(
    () => (users.data ?? []).filter((u) => u.email.includes(q.trim().toLowerCase())),
    [users.data, q],
  );
  return (
    <section aria-labelledby="users-title">
      <div className="page-head">
        <h1 id="users-title">Users</h1>
        <Button variant="primary" onPress={() => setCreating(true)}>
          New user
        </Button>
      </div>
      <div className="filters" role="search" aria-label="Filter users">
        <Field
          label="Email contains"
          value={q}
          onChange={(v) => setSearch(v ? { q: v } : {}, { replace: true })}
        />
      </div>
      {users.isPending ? (
        <Loading what="users" />
      ) : users.isError ? (
        <ErrorState error={users.error} retry={() => void users.refetch()} />
      ) : (
        <DataTable
          label="Users"
          rows={rows}
          columns={cols}
          onRowAction={(u) => void navigate(`/t/${tenant}/users/${u.id}`)}
          rowId={(u) => u.id}
          initialSort={{ id: 'email', desc: false }}
          empty={q ? 'No user matches this filter.' : 'No users yet.'}
        />
      )}
      <NewUserDialog tenant={tenant} isOpen={isCreating} onOpenChange={setCreating} />
    </section>
  );
}
