// One query hook and one mutation hook for every admin API operation, keyed by operationId and
// parameters; invalidation names the operation (and optionally a prefix of its parameters), so a
// renamed route fails the type-check instead of leaving a stale page.
import {
  queryOptions,
  useMutation,
  useQuery,
  useQueryClient,
  type UseMutationOptions,
  type UseQueryOptions,
} from '@tanstack/react-query';
import {
  ApiError,
  call,
  callFile,
  type Args,
  type OperationId,
  type Params,
  type Result,
} from './client';

/** Operations that read: the ones a query may run. */
export type QueryId = {
  [K in OperationId]: K extends `list${string}` | `get${string}` ? K : never;
}[OperationId];

/** The query key of an operation with its parameters: `[operationId, params]`. */
export const apiQueryKey = <K extends QueryId>(operation: K, params: Params<K>) =>
  [operation, params] as const;

/** Query options for one read, for useQuery, loaders and prefetching. */
export const apiQueryOptions = <K extends QueryId>(operation: K, params: Params<K>) =>
  queryOptions<Result<K>, ApiError, Result<K>, ReturnType<typeof apiQueryKey<K>>>({
    queryKey: apiQueryKey(operation, params),
    queryFn: ({ signal }) => call(operation, params as Args<K>, signal),
  });

type QueryExtras<K extends QueryId> = Omit<
  UseQueryOptions<Result<K>, ApiError, Result<K>, ReturnType<typeof apiQueryKey<K>>>,
  'queryKey' | 'queryFn'
>;

/** `useApiQuery('listUsers', { path: { tenant } })`: the operation's answer, typed. */
export function useApiQuery<K extends QueryId>(
  operation: K,
  params: Params<K>,
  options?: QueryExtras<K>,
) {
  return useQuery({ ...apiQueryOptions(operation, params), ...options });
}

/** `useApiMutation('createUser', { onSuccess })`, then `mutate({ path, body })`. */
export function useApiMutation<K extends OperationId, C = unknown>(
  operation: K,
  options?: Omit<UseMutationOptions<Result<K>, ApiError, Args<K>, C>, 'mutationFn'>,
) {
  return useMutation({ mutationFn: (args: Args<K>) => call(operation, args), ...options });
}

/**
 * `useApiDownload('exportAuditEvents')`, then `mutate({ path, query })`: the browser saves the file
 * the operation answers under the server's file name, as it saves a link's target.
 */
export function useApiDownload<K extends OperationId>(operation: K) {
  return useMutation<void, ApiError, Args<K>>({
    mutationFn: async (args) => {
      const { blob, filename } = await callFile(operation, args);
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = filename;
      document.body.append(a);
      a.click();
      a.remove();
      // the save has started from the URL by then
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    },
  });
}

type DeepPartial<T> = { [P in keyof T]?: T[P] extends object ? DeepPartial<T[P]> : T[P] };

/** The query client, with invalidation and cache writes by operationId. */
export function useApiQueryClient() {
  const queryClient = useQueryClient();
  return {
    queryClient,
    /** Every cached answer of the operation whose parameters contain `params` (all when omitted). */
    invalidateEndpoint: <K extends QueryId>(operation: K, params?: DeepPartial<Params<K>>) =>
      queryClient.invalidateQueries({
        queryKey: params ? [operation, params] : [operation],
      }),
    setQueryData: <K extends QueryId>(operation: K, params: Params<K>, data: Result<K>) =>
      queryClient.setQueryData(apiQueryKey(operation, params), data),
  };
}
