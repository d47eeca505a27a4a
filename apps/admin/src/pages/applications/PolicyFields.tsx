import type { Control } from 'react-hook-form';
import type { Tenant } from '../../api/types';
import { DurationField } from '../../components/DurationField';
import { FormField } from '../../components/FormField';
import { FormSelect } from '../../components/FormSelect';
import type { ApplicationForm } from './application-form';

const DURATIONS = [
  ['accessTokenTtl', 'Access token lifetime'],
  ['refreshIdleTtl', 'Refresh token idle lifetime'],
  ['refreshAbsoluteTtl', 'Refresh token absolute lifetime'],
  ['sessionIdleTtl', 'Session idle lifetime'],
  ['sessionAbsoluteTtl', 'Session absolute lifetime'],
] as const;

/** An on/off override that may also follow the tenant (whose setting it names). */
const onOffOptions = (tenantDefault: boolean) => [
  { value: 'default' as const, label: `Tenant default (${tenantDefault ? 'on' : 'off'})` },
  { value: 'on' as const, label: 'On' },
  { value: 'off' as const, label: 'Off' },
];

/** An application's lifetimes and rotation, each empty or set to the tenant's default. */
export function PolicyFields({
  control,
  tenant,
}: {
  control: Control<ApplicationForm>;
  tenant: Tenant;
}) {
  const d = tenant.policy;
  return (
    <fieldset>
      <legend>Lifetimes and rotation</legend>
      <p className="hint">
        Write a number and a unit: <code>30s</code>, <code>15m</code>, <code>12h</code>,{' '}
        <code>14d</code>. Leave a field empty to use the tenant default shown beside it.
      </p>
      <div className="grid-2">
        {DURATIONS.map(([name, label]) => (
          <DurationField
            key={name}
            control={control}
            name={`policy.${name}`}
            label={label}
            owner="this app"
            fallback={{ label: 'Tenant default', value: d[name] }}
          />
        ))}
        <FormSelect
          control={control}
          name="policy.rotation"
          id="policy-rotation"
          label="Refresh token rotation"
          description="Each refresh returns a new refresh token; the old one becomes a tripwire."
          options={onOffOptions(d.rotation)}
        />
        <FormField
          control={control}
          name="policy.reuseGraceSeconds"
          label="Reuse grace (seconds)"
          placeholder={String(d.reuseGraceSeconds)}
          description={`Tenant default: ${d.reuseGraceSeconds} s. A just-rotated token presented again within this window gets the same successor instead of tripping reuse detection (two tabs refreshing at once).`}
        />
        <FormSelect
          control={control}
          name="policy.onReuse"
          id="policy-on-reuse"
          label="When a used refresh token comes back"
          options={[
            { value: 'default', label: `Tenant default (${d.onReuse})` },
            { value: 'revoke-session', label: 'Sign the whole session out' },
            { value: 'revoke-family', label: 'Revoke only this sign-in’s tokens' },
          ]}
        />
        <FormSelect
          control={control}
          name="policy.sliding"
          id="policy-sliding"
          label="Sliding sessions"
          description="On: each use extends the session's idle expiry."
          options={onOffOptions(d.sliding)}
        />
      </div>
    </fieldset>
  );
}
