import { useParams, useSearchParams } from 'react-router';
import type { SessionEndReason } from '@tessera/contracts';
import { useApiQuery } from '../../api/hooks';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { Button, Select } from '../../components/ui';
import { END_REASONS, keptFor } from './session-end-reasons';
import { SessionHistoryTable } from './SessionHistoryTable';
import { UserAndApplicationFilters } from './UserAndApplicationFilters';

/** `2026-12-06T10:15` (a datetime-local input, local time) ↔ an ISO instant in the URL. */
const toLocalInput = (iso: string | undefined) => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};
const fromLocalInput = (v: string) => {
  const d = new Date(v);
  return v && !Number.isNaN(d.getTime()) ? d.toISOString() : '';
};

/**
 * Ended sessions of the tenant: how, when and by whom each ended. Filters and the page cursor live
 * in the URL, so a view can be linked.
 */
export default function SessionHistoryPage() {
  const { tenant = '' } = useParams();
  const [search, setSearch] = useSearchParams();
  const filters = {
    reason: (search.get('reason') ?? undefined) as SessionEndReason | undefined,
    user: search.get('user') ?? undefined,
    application: search.get('application') ?? undefined,
    from: search.get('from') ?? undefined,
    to: search.get('to') ?? undefined,
    cursor: search.get('cursor') ?? undefined,
  };
  const history = useApiQuery(
    'listSessionHistory',
    { path: { tenant }, query: { ...filters, limit: '100' } },
    { refetchInterval: 5000 },
  );
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(search);
    if (v) next.set(k, v);
    else next.delete(k);
    if (k !== 'cursor') next.delete('cursor');
    setSearch(next, { replace: true });
  };
  const isFiltered = !!(
    filters.reason ||
    filters.user ||
    filters.application ||
    filters.from ||
    filters.to
  );

  return (
    <section aria-labelledby="history-title">
      <div className="page-head">
        <h1 id="history-title">Session history</h1>
      </div>
      <p className="hint">
        {history.data ? keptFor(history.data.keptDays) : 'Ended sessions, most recent first.'}
      </p>
      <div className="filters" role="search" aria-label="Filter ended sessions">
        <Select
          id="history-reason"
          label="How it ended"
          value={filters.reason ?? ''}
          onChange={(v) => set('reason', v)}
          options={[
            { value: '', label: 'Any way' },
            ...Object.entries(END_REASONS).map(([value, r]) => ({ value, label: r.label })),
          ]}
        />
        <UserAndApplicationFilters
          tenant={tenant}
          idPrefix="history"
          user={filters.user}
          application={filters.application}
          onChange={set}
        />
        <div className="field">
          <label htmlFor="history-from">Ended from</label>
          <input
            id="history-from"
            type="datetime-local"
            value={toLocalInput(filters.from)}
            onChange={(e) => set('from', fromLocalInput(e.target.value))}
          />
        </div>
        <div className="field">
          <label htmlFor="history-to">Ended before</label>
          <input
            id="history-to"
            type="datetime-local"
            value={toLocalInput(filters.to)}
            onChange={(e) => set('to', fromLocalInput(e.target.value))}
          />
        </div>
      </div>
      {!history.data ? (
        history.isError ? (
          <ErrorState error={history.error} retry={() => void history.refetch()} />
        ) : (
          <Loading what="ended sessions" />
        )
      ) : (
        <>
          <SessionHistoryTable
            tenant={tenant}
            sessions={history.data.items}
            empty={
              isFiltered
                ? 'No ended session matches these filters.'
                : 'No session has ended yet. Sessions appear here when they end: signed out, revoked or expired.'
            }
          />
          <div className="pager">
            {filters.cursor ? (
              <Button onPress={() => set('cursor', '')}>Most recently ended</Button>
            ) : null}
            {history.data.nextCursor ? (
              <Button onPress={() => set('cursor', history.data.nextCursor ?? '')}>
                Ended earlier (next 100)
              </Button>
            ) : null}
          </div>
        </>
      )}
    </section>
  );
}
