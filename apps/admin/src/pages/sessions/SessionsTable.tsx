import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Session, User } from '../../api/types';
import { DataTable, type ColumnSpec } from '../../components/DataTable';
import { dateTime, relative, shortUserAgent } from '../../components/format';
import { Button } from '../../components/ui';
import { RevokeSessionDialog } from './RevokeSessionDialog';

export function SessionsTable(p: {
  tenant: string;
  sessions: Session[];
  users: Map<string, User>;
  empty: string;
}) {
  const [target, setTarget] = useState<{
    session: Session;
    userLabel: string;
    everywhere: boolean;
  }>();
  const { tenant, users } = p;
  const navigate = useNavigate();
  const label = (s: Session) => users.get(s.userId)?.email ?? s.userId;
  const columns = useMemo<ColumnSpec<Session>[]>(() => {
    const who = (s: Session) => users.get(s.userId)?.email ?? s.userId;
    return [
      {
        id: 'user',
        header: 'User',
        isRowHeader: true,
        sortValue: who,
        cell: (s) => <Link to={`/t/${tenant}/sessions/${s.id}`}>{who(s)}</Link>,
      },
      {
        id: 'applications',
        header: 'Applications',
        sortValue: (s) => s.applications.map((a) => a.clientId).join(','),
        cell: (s) => s.applications.map((a) => a.clientId).join(', ') || '—',
      },
      { id: 'ip', header: 'IP', sortValue: (s) => s.ip ?? '', cell: (s) => s.ip ?? '—' },
      {
        id: 'userAgent',
        header: 'User agent',
        sortValue: (s) => s.userAgent ?? '',
        cell: (s) => <span title={s.userAgent ?? ''}>{shortUserAgent(s.userAgent)}</span>,
      },
      {
        id: 'createdAt',
        header: 'Created',
        sortValue: (s) => s.createdAt,
        cell: (s) => <time dateTime={s.createdAt}>{dateTime(s.createdAt)}</time>,
      },
      {
        id: 'lastSeenAt',
        header: 'Last seen',
        sortValue: (s) => s.lastSeenAt,
        cell: (s) => <time dateTime={s.lastSeenAt}>{relative(s.lastSeenAt)}</time>,
      },
      {
        id: 'idleExpiresAt',
        header: 'Idle expiry',
        sortValue: (s) => s.idleExpiresAt,
        cell: (s) => <time dateTime={s.idleExpiresAt}>{relative(s.idleExpiresAt)}</time>,
      },
      {
        id: 'absoluteExpiresAt',
        header: 'Absolute expiry',
        sortValue: (s) => s.absoluteExpiresAt,
        cell: (s) => <time dateTime={s.absoluteExpiresAt}>{dateTime(s.absoluteExpiresAt)}</time>,
      },
      {
        id: 'actions',
        header: 'Actions',
        cell: (s) => (
          <div className="row-actions">
            <Button
              variant="danger"
              aria-label={`Revoke session of ${who(s)}`}
              onPress={() => setTarget({ session: s, userLabel: who(s), everywhere: false })}
            >
              Revoke
            </Button>
            <Button
              aria-label={`Sign ${who(s)} out everywhere`}
              onPress={() => setTarget({ session: s, userLabel: who(s), everywhere: true })}
            >
              Sign out everywhere
            </Button>
          </div>
        ),
      },
    ];
  }, [tenant, users]);
  return (
    <>
      <DataTable
        label="Live sessions"
        rows={p.sessions}
        columns={columns}
        onRowAction={(s) => void navigate(`/t/${tenant}/sessions/${s.id}`)}
        rowId={(s) => s.id}
        initialSort={{ id: 'lastSeenAt', desc: true }}
        empty={p.empty}
      />
      <RevokeSessionDialog
        tenant={tenant}
        target={target ? { ...target, userLabel: label(target.session) } : undefined}
        onClose={() => setTarget(undefined)}
      />
    </>
  );
}
