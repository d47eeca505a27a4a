import { useApiQuery } from '../../api/hooks';
import type { User } from '../../api/types';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { PermissionsEditor } from './PermissionsEditor';

/** What the user holds per resource server: permission groups (and single scopes). */
export function UserPermissions({ tenant, user }: { tenant: string; user: User }) {
  const servers = useApiQuery('listResourceServers', { path: { tenant } });
  const held = useApiQuery('getUserPermissions', { path: { tenant, id: user.id } });
  if (servers.isPending || held.isPending) return <Loading what="permissions" />;
  if (servers.isError || held.isError)
    return (
      <ErrorState
        error={servers.error ?? held.error}
        retry={() => void Promise.all([servers.refetch(), held.refetch()])}
      />
    );
  // the draft starts from what the server held on load; saving makes the two equal again
  return <PermissionsEditor tenant={tenant} user={user} servers={servers.data} held={held.data} />;
}
