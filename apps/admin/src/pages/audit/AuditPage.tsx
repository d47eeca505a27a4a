import { useMemo } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useApiQuery } from '../../api/hooks';
import type { AuditEvent } from '../../api/types';
import { DataTable, type ColumnSpec } from '../../components/DataTable';
import { dateTime, shortUserAgent } from '../../components/format';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { Button, Select } from '../../components/ui';

const TYPES = [
  ['', 'All security events'],
  ['refresh_token_reuse', 'Refresh token reuse detected'],
  ['code_reuse', 'Authorization code reuse'],
  ['session_revoked', 'Session revoked'],
  ['family_revoked', 'Token family revoked'],
  ['sign_in_failed', 'Sign-in failed'],
  ['sign_in_throttled', 'Sign-in throttled'],
  ['sign_in_succeeded', 'Sign-in succeeded'],
  ['user_disabled', 'User disabled'],
  ['user_deleted', 'User deleted'],
  ['application_tokens_revoked', 'Every token of an application revoked'],
  ['application_disabled', 'Application disabled'],
  ['application_deleted', 'Application deleted'],
  ['resource_server_deleted', 'Resource server deleted'],
  ['tenant_deleted', 'Tenant deleted'],
] as const;

const columns = (tenant: string): ColumnSpec<AuditEvent>[] => [
  {
    id: 'createdAt',
    header: 'When',
    isRowHeader: true,
    sortValue: (e) => e.createdAt,
    cell: (e) => dateTime(e.createdAt),
  },
  { id: 'type', header: 'Event', sortValue: (e) => e.type, cell: (e) => e.type },
  {
    id: 'clientId',
    header: 'Application',
    sortValue: (e) => e.clientId ?? '',
    cell: (e) => e.clientId ?? '—',
  },
  {
    id: 'session',
    header: 'Session',
    cell: (e) =>
      e.sessionId ? (
        <Link to={`/t/${tenant}/sessions/${e.sessionId}`}>{e.sessionId.slice(0, 8)}</Link>
      ) : (
        '—'
      ),
  },
  { id: 'ip', header: 'IP', sortValue: (e) => e.ip ?? '', cell: (e) => e.ip ?? '—' },
  {
    id: 'ua',
    header: 'User agent',
    cell: (e) => <span title={e.userAgent ?? ''}>{shortUserAgent(e.userAgent)}</span>,
  },
  {
    id: 'detail',
    header: 'Detail',
    cell: (e) =>
      Object.entries(e.detail)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(' · ') || '—',
  },
];

export default function AuditPage() {
  const { tenant = '' } = useParams();
  const [search, setSearch] = useSearchParams();
  const type = search.get('type') ?? '';
  const before = search.get('before') ?? undefined;
  const events = useApiQuery('listAuditEvents', {
    path: { tenant },
    query: { type: type || undefined, before, limit: '100' },
  });
  const cols = useMemo(() => columns(tenant), [tenant]);
  const oldest = events.data?.at(-1)?.createdAt;
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <div className="filters" role="search" aria-label="Filter events">
        <Select
          id="audit-type"
          label="Event type"
          value={type}
          onChange={(v) => setSearch(v ? { type: v } : {}, { replace: true })}
          options={TYPES.map(([value, label]) => ({ value, label }))}
        />
      </div>
      {events.isPending ? (
        <Loading what="events" />
      ) : events.isError ? (
        <ErrorState error={events.error} retry={() => void events.refetch()} />
      ) : (
        <>
          <DataTable
            label="Security events"
            rows={events.data}
            columns={cols}
            rowId={(e) => e.id}
            initialSort={{ id: 'createdAt', desc: true }}
            empty={type ? 'No events of this type.' : 'No security events yet.'}
          />
          <div className="pager">
            {before ? (
              <Button onPress={() => setSearch(type ? { type } : {})}>Newest events</Button>
            ) : null}
            {events.data.length >= 100 && oldest ? (
              <Button onPress={() => setSearch({ ...(type ? { type } : {}), before: oldest })}>
                Older events
              </Button>
            ) : null}
          </div>
        </>
      )}
    </section>
  );
}
