import type { ColumnSpec } from '../../components/DataTable';
import { shortUserAgent } from '../../components/format';

/** What a live and an ended session show alike. */
interface SessionLike {
  applications: { clientId: string }[];
  ip: string | null;
  userAgent: string | null;
}

/** The columns every session list has: the applications it signed in, where from. */
export function sessionOriginColumns<S extends SessionLike>(): ColumnSpec<S>[] {
  return [
    {
      id: 'applications',
      header: 'Applications',
      sortValue: (s) => s.applications.map((a) => a.clientId).join(','),
      cell: (s) => s.applications.map((a) => a.clientId).join(', ') || '—',
    },
    {
      id: 'client',
      header: 'IP / user agent',
      sortValue: (s) => s.ip ?? '',
      cell: (s) => (
        <>
          {s.ip ?? '—'} · <span title={s.userAgent ?? ''}>{shortUserAgent(s.userAgent)}</span>
        </>
      ),
    },
  ];
}
