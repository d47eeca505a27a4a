import type { Control } from 'react-hook-form';
import { GRANT_FLOWS } from '@tessera/contracts';
import type { ResourceServer } from '../../api/types';
import { Checkbox, CheckGroup } from '../../components/ui';
import { useFormControl } from '../../components/use-console-form';
import type { ApplicationForm } from './application-form';

type Grant = ApplicationForm['grants'][number];

/** Which resource servers the application may request from, with what scopes and flows. */
export function GrantFields({
  control,
  servers,
}: {
  control: Control<ApplicationForm>;
  servers: ResourceServer[];
}) {
  return (
    <fieldset>
      <legend>What it may request</legend>
      {servers.length === 0 ? (
        <p className="hint">No resource servers in this tenant yet.</p>
      ) : null}
      {servers.map((rs, i) => (
        <GrantRow key={rs.id} control={control} index={i} server={rs} />
      ))}
    </fieldset>
  );
}

function GrantRow({
  control,
  index,
  server: rs,
}: {
  control: Control<ApplicationForm>;
  index: number;
  server: ResourceServer;
}) {
  const { field, error } = useFormControl(control, `grants.${index}`, { isChoice: true });
  const g = field.value as Grant;
  const set = (patch: Partial<Grant>) => field.onChange({ ...g, ...patch });
  const toggle = (list: string[], v: string, on: boolean) =>
    on ? [...list, v] : list.filter((x) => x !== v);
  return (
    <div className="grant" role="group" aria-label={`Access to ${rs.name}`}>
      <Checkbox isSelected={g.isEnabled} onChange={(on) => set({ isEnabled: on })}>
        <span>{rs.name}</span> <code>{rs.identifier}</code>
      </Checkbox>
      {g.isEnabled ? (
        <div className="grant-detail">
          <CheckGroup
            label="Scopes"
            name={`Scopes of ${rs.name}`}
            options={rs.scopes.map((s) => ({ value: s.name, label: s.name }))}
            selected={g.scopes}
            onToggle={(v, on) => set({ scopes: toggle(g.scopes, v, on) })}
          />
          <CheckGroup
            label="Permission groups"
            name={`Permission groups of ${rs.name}`}
            options={rs.permissionGroups.map((pg) => ({ value: pg.name, label: pg.name }))}
            selected={g.permissionGroups}
            onToggle={(v, on) => set({ permissionGroups: toggle(g.permissionGroups, v, on) })}
          />
          <CheckGroup
            label="Flows"
            name={`Flows for ${rs.name}`}
            options={GRANT_FLOWS.map((f) => ({
              value: f,
              label: f === 'user' ? 'Signed-in users' : 'Client credentials',
            }))}
            selected={g.flows}
            onToggle={(v, on) => set({ flows: toggle(g.flows, v, on) as Grant['flows'] })}
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
