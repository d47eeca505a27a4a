import { useMemo, type ReactNode } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { AuditParty } from '@tessera/contracts';
import { useApiDownload, useApiQuery } from '../../api/hooks';
import type { AuditEvent } from '../../api/types';
import { DataTable, type ColumnSpec } from '../../components/DataTable';
import { dateTimeToSecond, shortUserAgent } from '../../components/format';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { Button, Select } from '../../components/ui';
import {
  eventLabel,
  filtersOf,
  fromLocalInput,
  shownValue,
  detailEntry,
  toLocalInput,
  TYPE_OPTIONS,
  type AuditFilters,
} from './audit-events';
import './audit.css';

const PAGE = 100;

/** Where the console shows a party, when it has a page for it. */
function pathOf(tenant: string, p: AuditParty): string | null {
  const t = p.tenant ?? tenant;
  switch (p.kind) {
    case 'user':
      return `/t/${t}/users/${p.id}`;
    case 'application':
      return `/t/${t}/applications/${encodeURIComponent(p.id)}`;
    case 'resource_server':
      return `/t/${t}/resource-servers/${p.id}`;
    case 'session':
      return `/t/${t}/sessions/${p.id}`;
    case 'key':
    case 'keys':
      return `/t/${t}/keys`;
    default:
      return null;
  }
}

const KIND_NAMES: Record<string, string> = {
  user: 'User',
  application: 'Application',
  resource_server: 'Resource server',
  session: 'Session',
  key: 'Signing key',
  keys: 'Signing keys',
  tenant: 'Tenant',
};

function PartyCell({ tenant, party }: { tenant: string; party: AuditParty | null }) {
  if (!party) return <>—</>;
  const name = party.name ?? party.id;
  const path = pathOf(tenant, party);
  const other = party.tenant && party.tenant !== tenant ? ` (${party.tenant})` : '';
  return (
    <span className="audit-party">
      <span className="audit-kind">{KIND_NAMES[party.kind] ?? party.kind}</span>{' '}
      {path ? <Link to={path}>{name}</Link> : name}
      {other}
    </span>
  );
}

function Changes({ e }: { e: AuditEvent }) {
  const rest = Object.entries(e.detail).filter(([, v]) => v !== null && v !== undefined);
  if (!e.changes.length && !rest.length) return <>—</>;
  return (
    <>
      {e.changes.length ? (
        <ul className="audit-changes" aria-label="Fields changed">
          {e.changes.map((c) => (
            <li key={c.field}>
              <span className="audit-field">{c.field}</span>:{' '}
              {c.isSecret ? (
                'changed (secret, not recorded)'
              ) : (
                <>
                  {shownValue(c.from)} → {shownValue(c.to)}
                </>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {rest.length ? <span>{rest.map(([k, v]) => detailEntry(k, v)).join(' · ')}</span> : null}
    </>
  );
}

const columns = (tenant: string): ColumnSpec<AuditEvent>[] => [
  {
    id: 'createdAt',
    header: 'When',
    isRowHeader: true,
    sortValue: (e) => e.createdAt,
    cell: (e) => <time dateTime={e.createdAt}>{dateTimeToSecond(e.createdAt)}</time>,
  },
  {
    id: 'type',
    header: 'Event',
    sortValue: (e) => eventLabel(e.type),
    cell: (e) => eventLabel(e.type),
  },
  {
    id: 'actor',
    header: 'Actor',
    sortValue: (e) => e.actor?.name ?? e.actor?.id ?? '',
    cell: (e) => <PartyCell tenant={tenant} party={e.actor} />,
  },
  {
    id: 'subject',
    header: 'Subject',
    sortValue: (e) => e.subject?.name ?? e.subject?.id ?? '',
    cell: (e) => <PartyCell tenant={tenant} party={e.subject} />,
  },
  { id: 'detail', header: 'Changes and detail', cell: (e) => <Changes e={e} /> },
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
];

/** A time filter: a native date-time field, to the second; the URL holds it as ISO. */
function TimeFilter(p: {
  id: string;
  label: string;
  value?: string;
  onChange: (iso?: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={p.id}>{p.label}</label>
      <input
        id={p.id}
        type="datetime-local"
        step={1}
        value={toLocalInput(p.value)}
        onChange={(e) => p.onChange(fromLocalInput(e.target.value))}
      />
    </div>
  );
}

/**
 * The audit log: security events and administrative changes, filtered by type, actor, subject and
 * time through the URL (`?type=&actor=&subject=&from=&to=`), and exported as the filtered view.
 */
export default function AuditPage() {
  const { tenant = '' } = useParams();
  const [search, setSearch] = useSearchParams();
  const filters = filtersOf(search);
  const before = search.get('before') ?? undefined;
  const events = useApiQuery('listAuditEvents', {
    path: { tenant },
    query: { ...filters, before, limit: String(PAGE) },
  });
  const users = useApiQuery('listUsers', { path: { tenant } });
  const apps = useApiQuery('listApplications', { path: { tenant } });
  const download = useApiDownload('exportAuditEvents');
  const cols = useMemo(() => columns(tenant), [tenant]);
  const oldest = events.data?.at(-1)?.createdAt;

  const set = (k: keyof AuditFilters | 'before', v: string | undefined) => {
    const next = new URLSearchParams(search);
    if (v) next.set(k, v);
    else next.delete(k);
    if (k !== 'before') next.delete('before');
    setSearch(next, { replace: true });
  };

  // principals by name; an id the lists do not hold (another tenant's administrator, a resource
  // server) is named as the events name it
  const named = useMemo(() => {
    const out = new Map<string, string>();
    for (const e of events.data ?? [])
      for (const p of [e.actor, e.subject]) if (p?.name) out.set(p.id, p.name);
    return out;
  }, [events.data]);
  const principalOptions = (value: string | undefined, all: string) => {
    const options = [
      { value: '', label: all },
      ...(users.data ?? [])
        .slice()
        .sort((a, b) => a.email.localeCompare(b.email))
        .map((u) => ({ value: u.id, label: u.email })),
      ...(apps.data ?? []).map((a) => ({ value: a.clientId, label: `${a.name} (${a.clientId})` })),
    ];
    if (value && !options.some((o) => o.value === value))
      options.push({ value, label: named.get(value) ?? value });
    return options;
  };
  const isFiltered = Object.keys(filters).length > 0;

  let body: ReactNode;
  if (events.isPending) body = <Loading what="events" />;
  else if (events.isError)
    body = <ErrorState error={events.error} retry={() => void events.refetch()} />;
  else
    body = (
      <>
        <DataTable
          label="Audit events"
          rows={events.data}
          columns={cols}
          rowId={(e) => e.id}
          initialSort={{ id: 'createdAt', desc: true }}
          empty={isFiltered ? 'No events match these filters.' : 'No events yet.'}
        />
        <div className="pager">
          {before ? <Button onPress={() => set('before', undefined)}>Newest events</Button> : null}
          {events.data.length >= PAGE && oldest ? (
            <Button onPress={() => set('before', oldest)}>Older events</Button>
          ) : null}
        </div>
      </>
    );

  return (
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit log</h1>
        <div className="audit-export" role="group" aria-label="Export the filtered events">
          <Button
            isDisabled={download.isPending}
            onPress={() =>
              download.mutate({ path: { tenant }, query: { ...filters, format: 'jsonl' } })
            }
          >
            Export JSON Lines
          </Button>
          <Button
            isDisabled={download.isPending}
            onPress={() =>
              download.mutate({ path: { tenant }, query: { ...filters, format: 'csv' } })
            }
          >
            Export CSV
          </Button>
        </div>
      </div>
      {download.isError ? (
        <p className="field-error" role="alert">
          The export failed: {download.error.message}
        </p>
      ) : null}
      <div className="filters audit-filters" role="search" aria-label="Filter events">
        <Select
          id="audit-type"
          label="Event type"
          value={filters.type ?? ''}
          onChange={(v) => set('type', v)}
          options={
            filters.type && !TYPE_OPTIONS.some((o) => o.value === filters.type)
              ? [...TYPE_OPTIONS, { value: filters.type, label: eventLabel(filters.type) }]
              : TYPE_OPTIONS
          }
        />
        <Select
          id="audit-actor"
          label="Actor"
          value={filters.actor ?? ''}
          onChange={(v) => set('actor', v)}
          options={principalOptions(filters.actor, 'Anyone')}
        />
        <Select
          id="audit-subject"
          label="Subject"
          value={filters.subject ?? ''}
          onChange={(v) => set('subject', v)}
          options={principalOptions(filters.subject, 'Anything')}
        />
        <TimeFilter
          id="audit-from"
          label="From"
          value={filters.from}
          onChange={(v) => set('from', v)}
        />
        <TimeFilter id="audit-to" label="To" value={filters.to} onChange={(v) => set('to', v)} />
        {isFiltered ? (
          <Button onPress={() => setSearch({}, { replace: true })}>Clear filters</Button>
        ) : null}
      </div>
      {body}
    </section>
  );
}
