import { useApiQuery } from '../../api/hooks';
import { Select } from '../../components/ui';

/** The user and application filters of the session lists (live and history), by email and name. */
export function UserAndApplicationFilters(p: {
  tenant: string;
  /** Prefixes the fields' ids: two lists never share one. */
  idPrefix: string;
  user: string | undefined;
  application: string | undefined;
  onChange: (key: 'user' | 'application', value: string) => void;
}) {
  const users = useApiQuery('listUsers', { path: { tenant: p.tenant } });
  const apps = useApiQuery('listApplications', { path: { tenant: p.tenant } });
  return (
    <>
      <Select
        id={`${p.idPrefix}-user`}
        label="User"
        value={p.user ?? ''}
        onChange={(v) => p.onChange('user', v)}
        options={[
          { value: '', label: 'All users' },
          ...(users.data ?? [])
            .slice()
            .sort((a, b) => a.email.localeCompare(b.email))
            .map((u) => ({ value: u.id, label: u.email })),
        ]}
      />
      <Select
        id={`${p.idPrefix}-application`}
        label="Application"
        value={p.application ?? ''}
        onChange={(v) => p.onChange('application', v)}
        options={[
          { value: '', label: 'All applications' },
          ...(apps.data ?? []).map((a) => ({
            value: a.clientId,
            label: `${a.name} (${a.clientId})`,
          })),
        ]}
      />
    </>
  );
}
