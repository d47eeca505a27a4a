import { useState } from 'react';
import { useMutation } from '@tanstack/react-query';
import { call } from '../../api/client';
import { useApiQueryClient } from '../../api/hooks';
import type { ResourceServer, User, UserPermission } from '../../api/types';
import { Empty } from '../../components/Empty';
import { Button, CheckGroup } from '../../components/ui';

/** Edits what a user holds on each resource server; saves all of it at once. */
export function PermissionsEditor(p: {
  tenant: string;
  user: User;
  servers: ResourceServer[];
  held: UserPermission[];
}) {
  const { invalidateEndpoint } = useApiQueryClient();
  // built-in APIs (admin, account) follow the user's role, not this editor
  const editable = p.servers.filter((rs) => !rs.isSystem);
  const [draft, setDraft] = useState(() =>
    Object.fromEntries(
      editable.map((rs) => {
        const h = p.held.find((x) => x.resourceServer === rs.identifier);
        return [rs.identifier, { groups: h?.permissionGroups ?? [], scopes: h?.scopes ?? [] }];
      }),
    ),
  );
  const [saved, setSaved] = useState(false);
  const save = useMutation({
    mutationFn: () =>
      call('setUserPermissions', {
        path: { tenant: p.tenant, id: p.user.id },
        body: Object.entries(draft)
          .filter(([, v]) => v.groups.length || v.scopes.length)
          .map(([resourceServer, v]) => ({
            resourceServer,
            permissionGroups: v.groups,
            scopes: v.scopes,
          })),
      }),
    onSuccess: async () => {
      setSaved(true);
      await invalidateEndpoint('getUserPermissions', {
        path: { tenant: p.tenant, id: p.user.id },
      });
    },
  });
  const toggle = (rs: string, kind: 'groups' | 'scopes', v: string, on: boolean) => {
    setSaved(false);
    setDraft((d) => ({
      ...d,
      [rs]: { ...d[rs], [kind]: on ? [...d[rs][kind], v] : d[rs][kind].filter((x) => x !== v) },
    }));
  };
  const servers = editable.filter((rs) => rs.permissionGroups.length || rs.scopes.length);
  return (
    <section aria-labelledby="perm-title">
      <h2 id="perm-title">Permissions</h2>
      <p className="hint">Tokens carry what the user holds here and the application may request.</p>
      {servers.length === 0 ? (
        <Empty>No resource server defines scopes or permission groups yet.</Empty>
      ) : null}
      {servers.map((rs) => (
        <div key={rs.id} className="grant" role="group" aria-label={`Permissions on ${rs.name}`}>
          <strong>{rs.name}</strong> <code>{rs.identifier}</code>
          <CheckGroup
            label="Permission groups"
            name={`Permission groups on ${rs.name}`}
            options={rs.permissionGroups.map((g) => ({
              value: g.name,
              label: `${g.name} (${g.scopes.join(', ')})`,
            }))}
            selected={draft[rs.identifier].groups}
            onToggle={(v, on) => toggle(rs.identifier, 'groups', v, on)}
          />
          <CheckGroup
            label="Single scopes"
            name={`Single scopes on ${rs.name}`}
            options={rs.scopes.map((s) => ({ value: s.name, label: s.name }))}
            selected={draft[rs.identifier].scopes}
            onToggle={(v, on) => toggle(rs.identifier, 'scopes', v, on)}
          />
        </div>
      ))}
      {servers.length ? (
        <div className="actions">
          <Button variant="primary" onPress={() => save.mutate()} isDisabled={save.isPending}>
            Save permissions
          </Button>
          {saved ? (
            <span role="status">Saved. The next token minted for them reflects it.</span>
          ) : null}
          {save.isError ? (
            <span className="error" role="alert">
              {save.error.message}
            </span>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
