import { keepPreviousData } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import type { Result } from '../api/client';
import { useApiQuery } from '../api/hooks';
import { BarChart } from '../components/BarChart';
import { ErrorState } from '../components/ErrorState';
import { Loading } from '../components/Loading';
import './overview.css';

type Overview = Result<'getOverview'>;
type Signal = keyof Overview['totals'];
type WindowName = Overview['window']['name'];

interface SignalInfo {
  key: Signal;
  label: string;
  /** What one and several of it are called: "1 reuse incident", "3 reuse incidents". */
  one: string;
  many: string;
  /** The audit event it counts; none: not an audit event (back-channel logouts). */
  auditType?: string;
  /** `alert`: something is likely wrong; `notice`: worth a look, often routine. */
  tone: 'alert' | 'notice';
  color: string;
}

const SIGNALS: SignalInfo[] = [
  {
    key: 'reuse',
    label: 'Refresh-token reuse',
    one: 'reuse incident',
    many: 'reuse incidents',
    auditType: 'refresh_token_reuse',
    tone: 'alert',
    color: '#b42318',
  },
  {
    key: 'failedSignIns',
    label: 'Failed sign-ins',
    one: 'failed sign-in',
    many: 'failed sign-ins',
    auditType: 'sign_in_failed',
    tone: 'notice',
    color: '#bc4c00',
  },
  {
    key: 'throttledSignIns',
    label: 'Throttled sign-ins',
    one: 'throttled sign-in',
    many: 'throttled sign-ins',
    auditType: 'sign_in_throttled',
    tone: 'alert',
    color: '#8250df',
  },
  {
    key: 'revokedSessions',
    label: 'Sessions revoked',
    one: 'session revoked',
    many: 'sessions revoked',
    auditType: 'session_revoked',
    tone: 'notice',
    color: '#0a58ca',
  },
  {
    key: 'revokedFamilies',
    label: 'Token families revoked',
    one: 'token family revoked',
    many: 'token families revoked',
    auditType: 'family_revoked',
    tone: 'notice',
    color: '#1a7f37',
  },
  {
    key: 'backchannelFailures',
    label: 'Back-channel logout failures',
    one: 'back-channel logout given up',
    many: 'back-channel logouts given up',
    tone: 'alert',
    color: '#57606a',
  },
];

const WINDOWS: Record<WindowName, { label: string; within: string; bucket: string }> = {
  '24h': { label: 'Last 24 hours', within: 'in the last 24 h', bucket: 'per hour' },
  '7d': { label: 'Last 7 days', within: 'in the last 7 days', bucket: 'per day' },
};

const hourLabel = (iso: string) =>
  new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
const dayLabel = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });

const counted = (s: SignalInfo, n: number) => `${n} ${n === 1 ? s.one : s.many}`;

export default function OverviewPage() {
  const { tenant = '' } = useParams();
  const [search, setSearch] = useSearchParams();
  const windowName: WindowName = search.get('window') === '7d' ? '7d' : '24h';
  const overview = useApiQuery(
    'getOverview',
    { path: { tenant }, query: { window: windowName } },
    { refetchInterval: 30_000, placeholderData: keepPreviousData },
  );
  // the heading first: the page is there while its numbers load
  const title = <h1 id="overview-title">Overview</h1>;
  if (overview.isPending)
    return (
      <section aria-labelledby="overview-title">
        {title}
        <Loading what="the overview" />
      </section>
    );
  if (overview.isError)
    return (
      <section aria-labelledby="overview-title">
        {title}
        <ErrorState error={overview.error} retry={() => void overview.refetch()} />
      </section>
    );
  const { activeSessions, hours } = overview.data;
  const signIns = hours.reduce((n, h) => n + h.signIns, 0);
  const refreshes = hours.reduce((n, h) => n + h.refreshes, 0);
  return (
    <section aria-labelledby="overview-title">
      {title}
      <dl className="stats">
        <div>
          <dt>Active sessions now</dt>
          <dd>
            <Link to={`/t/${tenant}/sessions`}>{activeSessions}</Link>
          </dd>
        </div>
        <div>
          <dt>Sign-ins, last 24 h</dt>
          <dd>{signIns}</dd>
        </div>
        <div>
          <dt>Refreshes, last 24 h</dt>
          <dd>{refreshes}</dd>
        </div>
      </dl>
      <SecuritySignals
        tenant={tenant}
        overview={overview.data}
        selected={windowName}
        isUpdating={overview.isPlaceholderData}
        onWindow={(w) =>
          setSearch(
            (s) => {
              if (w === '24h') s.delete('window');
              else s.set('window', w);
              return s;
            },
            { replace: true },
          )
        }
      />
      <h2 id="chart-title">Sign-ins and refreshes per hour</h2>
      {signIns + refreshes === 0 ? (
        <p className="state empty">No sign-ins or refreshes in the last 24 hours.</p>
      ) : (
        <BarChart
          labelledBy="chart-title"
          title="Sign-ins and refreshes per hour, last 24 hours"
          layout="grouped"
          series={[
            { label: 'Sign-ins', color: '#0a58ca' },
            { label: 'Refreshes', color: '#6f42c1' },
          ]}
          rows={hours.map((h) => ({ label: hourLabel(h.hour), values: [h.signIns, h.refreshes] }))}
        />
      )}
    </section>
  );
}

/** Each security signal's total over the window, with its way into the audit log, and a chart. */
function SecuritySignals({
  tenant,
  overview,
  selected,
  isUpdating,
  onWindow,
}: {
  tenant: string;
  overview: Overview;
  /** The window asked for (the answer shown may still be the previous one's). */
  selected: WindowName;
  isUpdating: boolean;
  onWindow: (w: WindowName) => void;
}) {
  const { window: range, totals, buckets } = overview;
  const within = WINDOWS[range.name].within;
  const raised = SIGNALS.filter((s) => totals[s.key] > 0);
  const auditLink = (type: string) =>
    `/t/${tenant}/audit?${new URLSearchParams({ type, from: range.from, to: range.to }).toString()}`;
  const label = range.name === '24h' ? hourLabel : dayLabel;
  return (
    <section className="signals" aria-labelledby="signals-title" aria-busy={isUpdating}>
      <div className="signals-head">
        <h2 id="signals-title">Security signals</h2>
        <fieldset className="window-choice">
          <legend className="sr-only">Time window</legend>
          {(Object.keys(WINDOWS) as WindowName[]).map((w) => (
            <label key={w}>
              <input
                type="radio"
                name="overview-window"
                value={w}
                checked={selected === w}
                onChange={() => onWindow(w)}
              />
              {WINDOWS[w].label}
            </label>
          ))}
        </fieldset>
      </div>
      {raised.length ? (
        <p className="signals-summary attention">
          <strong>Needs a look {within}:</strong>{' '}
          {raised.map((s) => counted(s, totals[s.key])).join(', ')}.
        </p>
      ) : (
        <p className="signals-summary">No security signals {within}.</p>
      )}
      <ul className="signal-list" aria-label={`Security signals ${within}`}>
        {SIGNALS.map((s) => {
          const n = totals[s.key];
          return (
            <li key={s.key} className={n > 0 ? `signal signal-${s.tone}` : 'signal'}>
              <span className="signal-name">{s.label}</span>
              <span className="signal-count">
                {n > 0 ? (
                  <>
                    <span aria-hidden="true">⚠ </span>
                    {counted(s, n)} {within}
                  </>
                ) : (
                  <>None {within}</>
                )}
              </span>
              {s.auditType ? (
                <Link to={auditLink(s.auditType)}>
                  View <span className="sr-only">{s.label.toLowerCase()} </span>in the audit log
                </Link>
              ) : (
                <span className="signal-note">
                  Not in the audit log: see <a href="#failed-deliveries">failed deliveries</a>{' '}
                  below.
                </span>
              )}
            </li>
          );
        })}
      </ul>
      <h3 id="signals-chart-title">
        Security signals {WINDOWS[range.name].bucket}, {WINDOWS[range.name].label.toLowerCase()}
      </h3>
      <BarChart
        labelledBy="signals-chart-title"
        title={`Security signals ${WINDOWS[range.name].bucket}, ${WINDOWS[range.name].label.toLowerCase()}`}
        series={SIGNALS.map((s) => ({ label: s.label, color: s.color }))}
        rows={buckets.map((b) => ({
          label: label(b.start),
          values: SIGNALS.map((s) => b[s.key]),
        }))}
        height={180}
      />
      <FailedDeliveries tenant={tenant} hasFailures={totals.backchannelFailures > 0} />
    </section>
  );
}

/** The latest back-channel logouts given up on, each with its session (they are not audit events). */
function FailedDeliveries({ tenant, hasFailures }: { tenant: string; hasFailures: boolean }) {
  const failed = useApiQuery(
    'listDeliveries',
    { path: { tenant }, query: { status: 'failed', limit: '5' } },
    { enabled: hasFailures },
  );
  return (
    <div id="failed-deliveries" className="failed-deliveries">
      <h3>Failed back-channel logouts</h3>
      {!hasFailures ? (
        <p className="state empty">None in this window.</p>
      ) : failed.isPending ? (
        <Loading what="failed deliveries" />
      ) : failed.isError ? (
        <ErrorState error={failed.error} retry={() => void failed.refetch()} />
      ) : (
        <ul>
          {failed.data.map((d) => (
            <li key={d.id}>
              <code>{d.clientId}</code>: {d.lastError ?? 'no answer'} (queued{' '}
              {new Date(d.createdAt).toLocaleString()}, {d.attempts} attempts).{' '}
              <Link to={`/t/${tenant}/sessions/${d.sessionId}`}>
                Session {d.sessionId.slice(0, 8)}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
