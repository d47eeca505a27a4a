import { useParams } from 'react-router';
import { useApiQuery } from '../../api/hooks';
import { ErrorState } from '../../components/ErrorState';
import { Loading } from '../../components/Loading';
import { ResourceServerEditor } from './ResourceServerEditor';

export default function ResourceServerFormPage() {
  const { tenant = '', id } = useParams();
  const rs = useApiQuery(
    'getResourceServer',
    { path: { tenant, id: id ?? '' } },
    { enabled: !!id },
  );
  if (id && rs.isError) return <ErrorState error={rs.error} retry={() => void rs.refetch()} />;
  if (id && !rs.data) return <Loading what="the resource server" />;
  return <ResourceServerEditor key={id ?? 'new'} tenant={tenant} server={rs.data} />;
}
