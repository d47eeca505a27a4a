import { useParams, useSearchParams } from 'react-router';
import { useApiQuery } from '../../api/hooks';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { Button } from '../../components/ui';
import { SessionsTable } from './SessionsTable';
import { UserAndApplicationFilters } from './UserAndApplicationFilters';

/** Live sessions: filters and the page cursor live in the URL, so a view can be linked. */
export default function SessionsPage() {
  const { tenant = '' } = useParams();
  const [search, setSearch] = useSearchParams();
  const filters = {
    user: search.get('user') ?? undefined,
    application: search.get('application') ?? undefined,
    cursor: search.get('cursor') ?? undefined,
  };
  const sessions = useApiQuery(
    'listSessions',
    { path: { tenant }, query: { ...filters, limit: '200' } },
    { refetchInterval: 2000 }, // live: new sessions appear and ended ones leave
  );
  const set = (k: string, v: string) => {
    const next = new URLSearchParams(search);
    if (v) next.set(k, v);
    else next.delete(k);
    if (k !== 'cursor') next.delete('cursor');
    setSearch(next, { replace: true });
  };

  return (
    <section aria-labelledby="sessions-title">
      <div className="page-head">
        <h1 id="sessions-title">Live sessions</h1>
        <span className="live" role="status" aria-live="off">
          {sessions.isFetching ? 'Updating…' : 'Live: refreshes every 2 s'}
        </span>
      </div>
      <div className="filters" role="search" aria-label="Filter sessions">
        <UserAndApplicationFilters
          tenant={tenant}
          idPrefix="filter"
          user={filters.user}
          application={filters.application}
          onChange={set}
        />
      </div>
      {!sessions.data ? (
        sessions.isError ? (
          <ErrorState error={sessions.error} retry={() => void sessions.refetch()} />
        ) : (
          <Loading what="sessions" />
        )
      ) : (
        <>
          {sessions.isError ? (
            <p className="error" role="alert">
              Could not refresh: {sessions.error?.message}. Showing the last answer.
            </p>
          ) : null}
          <SessionsTable
            tenant={tenant}
            sessions={sessions.data.items}
            empty={
              filters.user || filters.application
                ? 'No active sessions match these filters.'
                : 'No active sessions. They appear here as users sign in.'
            }
          />
          <div className="pager">
            {filters.cursor ? (
              <Button onPress={() => set('cursor', '')}>Most recent sessions</Button>
            ) : null}
            {sessions.data.nextCursor ? (
              <Button onPress={() => set('cursor', sessions.data.nextCursor ?? '')}>
                Older sessions (next 200)
              </Button>
            ) : null}
          </div>
        </>
      )}
    </section>
  );
}
