import { useMemo } from 'react';
import { Link, useNavigate } from 'react-router';
import type { EndedSession } from '../../api/types';
import { DataTable, type ColumnSpec } from '../../components/DataTable';
import { sessionOriginColumns } from './session-columns';
import { dateTimeToSecond } from '../../components/format';
import { endReason } from './session-end-reasons';

/** Who ended a session, in words: the administrator or user by email, else the server's rule. */
export function endedByLabel(s: Pick<EndedSession, 'endedBy' | 'reason'>): string {
  if (s.endedBy) return s.endedBy.email ?? s.endedBy.subject;
  return s.reason === 'logout' ? 'The user' : 'Tessera (automatic)';
}

/** Ended sessions: when, how and by whom each ended; a row opens the session. */
export function SessionHistoryTable(p: {
  tenant: string;
  sessions: EndedSession[];
  empty: string;
  /** On a user's page the user column says nothing new. */
  hasUserColumn?: boolean;
}) {
  const { tenant, hasUserColumn = true } = p;
  const navigate = useNavigate();
  const columns = useMemo<ColumnSpec<EndedSession>[]>(() => {
    const open = (s: EndedSession, text: string) => (
      <Link to={`/t/${tenant}/sessions/${s.id}`}>{text}</Link>
    );
    return [
      ...(hasUserColumn
        ? [
            {
              id: 'user',
              header: 'User',
              isRowHeader: true,
              sortValue: (s: EndedSession) => s.userEmail,
              cell: (s: EndedSession) => open(s, s.userEmail),
            },
          ]
        : []),
      {
        id: 'endedAt',
        header: 'Ended',
        isRowHeader: !hasUserColumn,
        sortValue: (s) => s.endedAt,
        cell: (s) => {
          const time = <time dateTime={s.endedAt}>{dateTimeToSecond(s.endedAt)}</time>;
          return hasUserColumn ? time : open(s, dateTimeToSecond(s.endedAt));
        },
      },
      {
        id: 'reason',
        header: 'How it ended',
        sortValue: (s) => endReason(s.reason).label,
        cell: (s) => endReason(s.reason).label,
      },
      {
        id: 'endedBy',
        header: 'By',
        sortValue: (s) => endedByLabel(s),
        cell: (s) => endedByLabel(s),
      },
      ...sessionOriginColumns<EndedSession>(),
    ];
  }, [tenant, hasUserColumn]);
  return (
    <DataTable
      label="Ended sessions"
      rows={p.sessions}
      columns={columns}
      onRowAction={(s) => void navigate(`/t/${tenant}/sessions/${s.id}`)}
      rowId={(s) => s.id}
      initialSort={{ id: 'endedAt', desc: true }}
      empty={p.empty}
      hasCardsWhenNarrow
    />
  );
}
