import { useWatch, type Control } from 'react-hook-form';
import { TOKEN_EXCHANGE_GRANT } from '@tessera/contracts';
import type { ResourceServer } from '../../api/types';
import { FormSelect } from '../../components/FormSelect';
import { Checkbox, CheckGroup } from '../../components/ui';
import { useFormControl } from '../../components/use-console-form';
import type { ApplicationForm } from './application-form';
import { DEPTH_OPTIONS } from './token-exchange-form';

type Target = ApplicationForm['tokenExchange']['targets'][number];

/**
 * RFC 8693: the APIs this service may exchange a user's token for (docs/token-exchange.md), with
 * the scopes it may carry there and how long a delegation chain may be. Shown with the grant type.
 */
export function TokenExchangeFields({
  control,
  servers,
}: {
  control: Control<ApplicationForm>;
  servers: ResourceServer[];
}) {
  const grantTypes = useWatch({ control, name: 'grantTypes' });
  if (!grantTypes.includes(TOKEN_EXCHANGE_GRANT)) return null;
  return (
    <fieldset>
      <legend>Token exchange</legend>
      <p className="hint">
        Which APIs this service may call on a signed-in user’s behalf, with which of the user’s
        scopes. A token carries no scope the user’s token lacks.
      </p>
      {servers.length === 0 ? (
        <p className="hint">No resource servers in this tenant yet.</p>
      ) : null}
      {servers.map((rs, i) => (
        <TargetRow key={rs.id} control={control} index={i} server={rs} />
      ))}
      <FormSelect
        control={control}
        name="tokenExchange.maxDepth"
        id="token-exchange-depth"
        label="Longest delegation chain"
        description="How many services may have acted in turn in a token this one obtains."
        options={DEPTH_OPTIONS}
      />
    </fieldset>
  );
}

function TargetRow({
  control,
  index,
  server: rs,
}: {
  control: Control<ApplicationForm>;
  index: number;
  server: ResourceServer;
}) {
  const { field, error } = useFormControl(control, `tokenExchange.targets.${index}`, {
    isChoice: true,
  });
  const t = field.value as Target;
  const set = (patch: Partial<Target>) => field.onChange({ ...t, ...patch });
  return (
    <div className="grant" role="group" aria-label={`Token exchange to ${rs.name}`}>
      <Checkbox isSelected={t.isEnabled} onChange={(on) => set({ isEnabled: on })}>
        <span>{rs.name}</span> <code>{rs.identifier}</code>
      </Checkbox>
      {t.isEnabled ? (
        <div className="grant-detail">
          <CheckGroup
            label="Scopes"
            name={`Exchanged scopes of ${rs.name}`}
            options={rs.scopes.map((s) => ({ value: s.name, label: s.name }))}
            selected={t.scopes}
            onToggle={(v, on) =>
              set({ scopes: on ? [...t.scopes, v] : t.scopes.filter((x) => x !== v) })
            }
          />
          {error ? (
            <span className="field-error" role="alert">
              {error}
            </span>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
