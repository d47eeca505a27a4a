import type { Control } from 'react-hook-form';
import type { RateLimitName } from '@tessera/contracts';
import { FormField } from '../../components/FormField';
import type { TenantSettingsForm } from './tenant-settings-form';

const RULES: Array<{ name: RateLimitName; title: string; what: string; counts: string }> = [
  {
    name: 'token',
    title: 'Token requests, per application',
    what: 'Token and revocation requests of one application; the next one in the same window is answered “429 Too Many Requests”.',
    counts: 'Requests allowed',
  },
  {
    name: 'introspection',
    title: 'Introspection requests, per caller',
    what: 'Introspection requests of one resource server or application; the next one in the same window is answered “429 Too Many Requests”.',
    counts: 'Requests allowed',
  },
  {
    name: 'signInAccount',
    title: 'Failed sign-ins, per account',
    what: 'Wrong passwords for one email address, known or not: the failure that reaches the limit locks sign-in to that account for the lockout. Keep the lockout short: anyone can lock anyone out.',
    counts: 'Failures allowed',
  },
  {
    name: 'signInAddress',
    title: 'Failed sign-ins, per network address',
    what: 'Wrong passwords from one client address, whatever the account: the failure that reaches the limit locks sign-in from that address for the lockout. Leave room for offices behind one address.',
    counts: 'Failures allowed',
  },
];

/** The tenant's rate limits, one group of fields per rule. */
export function RateLimitFields({ control }: { control: Control<TenantSettingsForm> }) {
  return (
    <fieldset>
      <legend>Rate limits</legend>
      <p className="hint">
        Windows and lockouts are a number and a unit, at most a day: <code>30s</code>,{' '}
        <code>15m</code>, <code>1h</code>.
      </p>
      {RULES.map((r) => (
        <fieldset key={r.name} className="rate-limit">
          <legend>{r.title}</legend>
          <p className="hint">{r.what}</p>
          <div className="grid-3">
            <FormField control={control} name={`rateLimits.${r.name}.limit`} label={r.counts} />
            <FormField control={control} name={`rateLimits.${r.name}.window`} label="Window" />
            {r.name === 'signInAccount' || r.name === 'signInAddress' ? (
              <FormField control={control} name={`rateLimits.${r.name}.lockout`} label="Lockout" />
            ) : null}
          </div>
        </fieldset>
      ))}
    </fieldset>
  );
}
