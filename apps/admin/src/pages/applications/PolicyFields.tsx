import { useWatch, type Control, type FieldPathByValue } from 'react-hook-form';
import type { OnReuse } from '@tessera/contracts';
import type { Tenant } from '../../api/types';
import { DurationField } from '../../components/DurationField';
import { FormField } from '../../components/FormField';
import { FormSelect } from '../../components/FormSelect';
import type { PolicyForm } from './application-form';

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

/** An on/off setting; an application's may also follow the tenant (whose setting it names). */
const onOffOptions = (tenantDefault: boolean | undefined) => [
  ...(tenantDefault === undefined
    ? []
    : [{ value: 'default' as const, label: `Tenant default (${tenantDefault ? 'on' : 'off'})` }]),
  { value: 'on' as const, label: 'On' },
  { value: 'off' as const, label: 'Off' },
];

/**
 * Lifetimes and rotation. For an application (`editing="application"`) each field may be left
 * empty or set to the tenant's default; for the tenant's own defaults every field holds a value.
 */
export function PolicyFields<T extends { policy: PolicyForm }>({
  control,
  tenant,
  editing = 'application',
}: {
  control: Control<T>;
  tenant: Tenant;
  editing?: 'application' | 'tenant';
}) {
  const d = tenant.policy;
  const isApp = editing === 'application';
  // the fields of `policy`, wherever the form keeps it
  const at = <V,>(field: keyof PolicyForm) => `policy.${field}` as FieldPathByValue<T, V>;
  const rotation = useWatch({ control, name: at<PolicyForm['rotation']>('rotation') }) as
    PolicyForm['rotation'] | undefined;
  const isRotating = rotation === 'default' ? d.rotation : rotation === 'on';
  // the grace and the answer to reuse belong to rotation: without it nothing is detected
  const offReason = isRotating ? undefined : 'Applies only while refresh token rotation is on.';
  return (
    <fieldset>
      <legend>Lifetimes and rotation</legend>
      <p className="hint">
        Write a number and a unit: <code>30s</code>, <code>15m</code>, <code>12h</code>,{' '}
        <code>14d</code>.{' '}
        {isApp
          ? 'Leave a field empty to use the tenant default shown beside it.'
          : 'Applications that set none of their own use these.'}
      </p>
      <div className="grid-2">
        {DURATIONS.map(([name, label]) => (
          <DurationField
            key={name}
            control={control}
            name={at<string>(name)}
            label={label}
            owner={isApp ? 'this app' : 'this tenant'}
            fallback={isApp ? { label: 'Tenant default', value: d[name] } : undefined}
          />
        ))}
        <FormSelect
          control={control}
          name={at<PolicyForm['rotation']>('rotation')}
          id="policy-rotation"
          label="Refresh token rotation"
          description="Each refresh returns a new refresh token; the old one becomes a tripwire."
          options={onOffOptions(isApp ? d.rotation : undefined)}
        />
        <FormField
          control={control}
          name={at<string>('reuseGraceSeconds')}
          label="Reuse grace (seconds)"
          placeholder={isApp ? String(d.reuseGraceSeconds) : undefined}
          isDisabled={!isRotating}
          description={
            offReason ??
            `${isApp ? `Tenant default: ${d.reuseGraceSeconds} s. ` : ''}A just-rotated token presented again within this window gets the same successor instead of tripping reuse detection (two tabs refreshing at once).`
          }
        />
        <FormSelect
          control={control}
          name={at<PolicyForm['onReuse']>('onReuse')}
          id="policy-on-reuse"
          label="When a used refresh token comes back"
          isDisabled={!isRotating}
          description={offReason}
          options={[
            ...(isApp
              ? [
                  {
                    value: 'default' as const,
                    label: `Tenant default (${ON_REUSE_LABELS[d.onReuse].toLowerCase()})`,
                  },
                ]
              : []),
            { value: 'revoke-session', label: ON_REUSE_LABELS['revoke-session'] },
            { value: 'revoke-family', label: ON_REUSE_LABELS['revoke-family'] },
          ]}
        />
        <FormSelect
          control={control}
          name={at<PolicyForm['sliding']>('sliding')}
          id="policy-sliding"
          label="Sliding sessions"
          description="On: each use extends the session's idle expiry."
          options={onOffOptions(isApp ? d.sliding : undefined)}
        />
      </div>
    </fieldset>
  );
}
