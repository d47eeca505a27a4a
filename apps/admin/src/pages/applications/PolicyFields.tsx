import { useWatch, type Control } from 'react-hook-form';
import type { OnReuse } from '@tessera/contracts';
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

/** What happens when a used refresh token comes back, in the administrator's words. */
export const ON_REUSE_LABELS: Record<OnReuse, string> = {
  'revoke-session': 'Sign the whole session out',
  'revoke-family': 'Revoke only this sign-in’s tokens',
};

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
  const rotation = useWatch({ control, name: 'policy.rotation' });
  const isRotating = rotation === 'default' ? d.rotation : rotation === 'on';
  // the grace and the answer to reuse belong to rotation: without it nothing is detected
  const offReason = isRotating ? undefined : 'Applies only while refresh token rotation is on.';
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
          isDisabled={!isRotating}
          description={
            offReason ??
            `Tenant default: ${d.reuseGraceSeconds} s. A just-rotated token presented again within this window gets the same successor instead of tripping reuse detection (two tabs refreshing at once).`
          }
        />
        <FormSelect
          control={control}
          name="policy.onReuse"
          id="policy-on-reuse"
          label="When a used refresh token comes back"
          isDisabled={!isRotating}
          description={offReason}
          options={[
            {
              value: 'default',
              label: `Tenant default (${ON_REUSE_LABELS[d.onReuse].toLowerCase()})`,
            },
            { value: 'revoke-session', label: ON_REUSE_LABELS['revoke-session'] },
            { value: 'revoke-family', label: ON_REUSE_LABELS['revoke-family'] },
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
