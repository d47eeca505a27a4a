import { Link, useParams } from 'react-router';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useApiQuery } from '../api/hooks';
import { ErrorState } from '../components/ErrorState';
import { Loading } from '../components/Loading';

const hourLabel = (iso: string) =>
  new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });

export default function OverviewPage() {
  const { tenant = '' } = useParams();
  const overview = useApiQuery('getOverview', { path: { tenant } }, { refetchInterval: 30_000 });
  if (overview.isPending) return <Loading what="the overview" />;
  if (overview.isError)
    return <ErrorState error={overview.error} retry={() => void overview.refetch()} />;
  const { activeSessions, hours } = overview.data;
  const signIns = hours.reduce((n, h) => n + h.signIns, 0);
  const refreshes = hours.reduce((n, h) => n + h.refreshes, 0);
  const data = hours.map((h) => ({ ...h, label: hourLabel(h.hour) }));
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
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
      <h2 id="chart-title">Sign-ins and refreshes per hour</h2>
      {signIns + refreshes === 0 ? (
        <p className="state empty">No sign-ins or refreshes in the last 24 hours.</p>
      ) : (
        <figure className="chart" aria-labelledby="chart-title">
          <ResponsiveContainer width="100%" height={280}>
            <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="label" interval="preserveStartEnd" minTickGap={24} />
              <YAxis allowDecimals={false} width={40} />
              <Tooltip />
              <Legend />
              <Bar dataKey="signIns" name="Sign-ins" fill="#0a58ca" isAnimationActive={false} />
              <Bar dataKey="refreshes" name="Refreshes" fill="#6f42c1" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
          {/* the same numbers for screen readers and keyboard users */}
          <details>
            <summary>Hourly numbers</summary>
            <table className="plain">
              <caption className="sr-only">Sign-ins and refreshes per hour</caption>
              <thead>
                <tr>
                  <th scope="col">Hour</th>
                  <th scope="col">Sign-ins</th>
                  <th scope="col">Refreshes</th>
                </tr>
              </thead>
              <tbody>
                {data.map((h) => (
                  <tr key={h.hour}>
                    <th scope="row">{h.label}</th>
                    <td>{h.signIns}</td>
                    <td>{h.refreshes}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </figure>
      )}
    </section>
  );
}
