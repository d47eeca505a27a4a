import { useMemo, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import type { Session } from '../../api/types';
import { DataTable, type ColumnSpec } from '../../components/DataTable';
import { sessionOriginColumns } from './session-columns';
import { dateTime, relative } from '../../components/format';
import { Button } from '../../components/ui';
import { RevokeSessionDialog } from './RevokeSessionDialog';

/**
 * Live sessions, each named by its user's email. Seven columns, the actions among them, so that
 * nothing is out of sight at 1280 px; on a phone each session is a card with its actions at the top.
 */
export function SessionsTable(p: { tenant: string; sessions: Session[]; empty: string }) {
  const [target, setTarget] = useState<{ session: Session; everywhere: boolean }>();
  const { tenant } = p;
  const navigate = useNavigate();
  const columns = useMemo<ColumnSpec<Session>[]>(
    () => [
      {
        id: 'user',
        header: 'User',
        isRowHeader: true,
        sortValue: (s) => s.userEmail,
        cell: (s) => <Link to={`/t/${tenant}/sessions/${s.id}`}>{s.userEmail}</Link>,
      },
      ...sessionOriginColumns<Session>(),
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
        id: 'expiry',
        header: 'Ends',
        sortValue: (s) =>
          s.idleExpiresAt < s.absoluteExpiresAt ? s.idleExpiresAt : s.absoluteExpiresAt,
        cell: (s) => (
          <>
            idle <time dateTime={s.idleExpiresAt}>{relative(s.idleExpiresAt)}</time>, at the latest{' '}
            <time dateTime={s.absoluteExpiresAt}>{dateTime(s.absoluteExpiresAt)}</time>
          </>
        ),
      },
      {
        id: 'actions',
        header: 'Actions',
        isActions: true,
        cell: (s) => (
          <div className="row-actions">
            <Button
              variant="danger"
              aria-label={`Revoke session of ${s.userEmail}`}
              onPress={() => setTarget({ session: s, everywhere: false })}
            >
              Revoke
            </Button>
            <Button
              aria-label={`Sign ${s.userEmail} out everywhere`}
              onPress={() => setTarget({ session: s, everywhere: true })}
            >
              Sign out everywhere
            </Button>
          </div>
        ),
      },
    ],
    [tenant],
  );
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
        hasCardsWhenNarrow
      />
      <RevokeSessionDialog
        tenant={tenant}
        target={target ? { ...target, userLabel: target.session.userEmail } : undefined}
        onClose={() => setTarget(undefined)}
      />
    </>
  );
}
