import { useParams } from 'react-router';
import { useApiQuery } from '../../api/hooks';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { ApplicationEditor } from './ApplicationEditor';

export default function ApplicationFormPage() {
  const { tenant = '', clientId } = useParams();
  const tenants = useApiQuery('listTenants', {}, { staleTime: 60_000 });
  const servers = useApiQuery('listResourceServers', { path: { tenant } });
  const app = useApiQuery(
    'getApplication',
    { path: { tenant, clientId: clientId ?? '' } },
    { enabled: !!clientId },
  );
  const current = tenants.data?.find((t) => t.slug === tenant);

  const failed = tenants.error ?? servers.error ?? app.error;
  if (failed)
    return (
      <ErrorState
        error={failed}
        retry={() => void Promise.all([tenants.refetch(), servers.refetch(), app.refetch()])}
      />
    );
  if (!current || !servers.data || (clientId && !app.data))
    return <Loading what="the application" />;
  return (
    <ApplicationEditor
      key={clientId ?? 'new'}
      tenant={current}
      servers={servers.data}
      app={clientId ? app.data : undefined}
    />
  );
}
