// One query factory per endpoint, keyed by endpoint and parameters; mutations invalidate by key.
import { queryOptions } from '@tanstack/react-query';
import { api } from './client';

export const tenantsQuery = () =>
  queryOptions({
    queryKey: ['get /admin/api/tenants'],
    queryFn: ({ signal }) => api('get /admin/api/tenants', { signal }),
    staleTime: 60_000,
  });

export const applicationsQuery = (tenant: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/applications', tenant],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/applications', { params: { tenant }, signal }),
  });

export const applicationQuery = (tenant: string, clientId: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/applications/{clientId}', tenant, clientId],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/applications/{clientId}', {
        params: { tenant, clientId },
        signal,
      }),
  });

export const resourceServersQuery = (tenant: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/resource-servers', tenant],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/resource-servers', { params: { tenant }, signal }),
  });

export const resourceServerQuery = (tenant: string, id: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/resource-servers/{id}', tenant, id],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/resource-servers/{id}', {
        params: { tenant, id },
        signal,
      }),
  });

export const usersQuery = (tenant: string, email?: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/users', tenant, email ?? ''],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/users', {
        params: { tenant },
        query: { email },
        signal,
      }),
  });

export const userQuery = (tenant: string, id: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/users/{id}', tenant, id],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/users/{id}', { params: { tenant, id }, signal }),
  });

export const userPermissionsQuery = (tenant: string, id: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/users/{id}/permissions', tenant, id],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/users/{id}/permissions', {
        params: { tenant, id },
        signal,
      }),
  });

export interface SessionFilters {
  user?: string;
  application?: string;
  cursor?: string;
}

/** Live: refetched every 2 s while the page is open, so new sessions appear and ended ones leave. */
export const sessionsQuery = (tenant: string, f: SessionFilters) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/sessions', tenant, f],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/sessions', {
        params: { tenant },
        query: { user: f.user, application: f.application, cursor: f.cursor, limit: 200 },
        signal,
      }),
    refetchInterval: 2000,
  });

export const sessionQuery = (tenant: string, id: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/sessions/{id}', tenant, id],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/sessions/{id}', { params: { tenant, id }, signal }),
    refetchInterval: 2000,
  });

export const deliveriesQuery = (tenant: string, session?: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/backchannel-deliveries', tenant, session ?? ''],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/backchannel-deliveries', {
        params: { tenant },
        query: { session },
        signal,
      }),
    refetchInterval: 2000,
  });

export const auditQuery = (tenant: string, f: { type?: string; before?: string }) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/audit', tenant, f],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/audit', {
        params: { tenant },
        query: { type: f.type, before: f.before, limit: 100 },
        signal,
      }),
  });

export const keysQuery = (tenant: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/keys', tenant],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/keys', { params: { tenant }, signal }),
  });

export const overviewQuery = (tenant: string) =>
  queryOptions({
    queryKey: ['get /admin/api/tenants/{tenant}/overview', tenant],
    queryFn: ({ signal }) =>
      api('get /admin/api/tenants/{tenant}/overview', { params: { tenant }, signal }),
    refetchInterval: 30_000,
  });
