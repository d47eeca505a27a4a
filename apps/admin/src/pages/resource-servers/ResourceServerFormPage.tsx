import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { resourceServerQuery } from '../../api/queries';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { ResourceServerEditor } from './ResourceServerEditor';

export default function ResourceServerFormPage() {
  const { tenant = '', id } = useParams();
  const rs = useQuery({ ...resourceServerQuery(tenant, id ?? ''), enabled: !!id });
  if (id && rs.isError) return <ErrorState error={rs.error} retry={() => void rs.refetch()} />;
  if (id && !rs.data) return <Loading what="the resource server" />;
  return <ResourceServerEditor key={id ?? 'new'} tenant={tenant} server={rs.data} />;
}
