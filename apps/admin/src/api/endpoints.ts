// Every admin API call the console makes, by method and OpenAPI path. The client accepts only
// these keys, and apps/server/test/console/api-client.e2e-spec.ts checks each one exists in the
// server's OpenAPI document: a renamed route fails CI, not an admin.
import type {
  CreateApplicationInput,
  CreateUserInput,
  ResourceServerInput,
  UpdateApplicationInput,
  UpdateUserInput,
  UserPermissionInput,
} from '@tessera/contracts';
import type {
  Application,
  AuditEvent,
  CreatedApplication,
  Delivery,
  EndedSignIns,
  Overview,
  ResourceServer,
  SessionDetail,
  SessionPage,
  SigningKey,
  Tenant,
  User,
  UserPermission,
} from './types';

export interface Endpoints {
  'get /admin/api/tenants': { res: Tenant[] };
  'get /admin/api/tenants/{tenant}/applications': { res: Application[] };
  'post /admin/api/tenants/{tenant}/applications': {
    res: CreatedApplication;
    body: CreateApplicationInput;
  };
  'get /admin/api/tenants/{tenant}/applications/{clientId}': { res: Application };
  'patch /admin/api/tenants/{tenant}/applications/{clientId}': {
    res: Application;
    body: UpdateApplicationInput;
  };
  'delete /admin/api/tenants/{tenant}/applications/{clientId}': { res: void };
  'post /admin/api/tenants/{tenant}/applications/{clientId}/secret': {
    res: { clientSecret: string };
  };
  'post /admin/api/tenants/{tenant}/applications/{clientId}/revoke-tokens': { res: EndedSignIns };
  'get /admin/api/tenants/{tenant}/resource-servers': { res: ResourceServer[] };
  'post /admin/api/tenants/{tenant}/resource-servers': {
    res: ResourceServer;
    body: ResourceServerInput;
  };
  'get /admin/api/tenants/{tenant}/resource-servers/{id}': { res: ResourceServer };
  'put /admin/api/tenants/{tenant}/resource-servers/{id}': {
    res: ResourceServer;
    body: ResourceServerInput;
  };
  'get /admin/api/tenants/{tenant}/users': { res: User[] };
  'post /admin/api/tenants/{tenant}/users': { res: User; body: CreateUserInput };
  'get /admin/api/tenants/{tenant}/users/{id}': { res: User };
  'patch /admin/api/tenants/{tenant}/users/{id}': { res: User; body: UpdateUserInput };
  'get /admin/api/tenants/{tenant}/users/{id}/permissions': { res: UserPermission[] };
  'put /admin/api/tenants/{tenant}/users/{id}/permissions': {
    res: UserPermission[];
    body: UserPermissionInput[];
  };
  'post /admin/api/tenants/{tenant}/users/{id}/sign-out': {
    res: { ended: number };
    body: { reason?: string };
  };
  'get /admin/api/tenants/{tenant}/sessions': { res: SessionPage };
  'get /admin/api/tenants/{tenant}/sessions/{id}': { res: SessionDetail };
  'delete /admin/api/tenants/{tenant}/sessions/{id}': { res: void; body: { reason?: string } };
  'get /admin/api/tenants/{tenant}/backchannel-deliveries': { res: Delivery[] };
  'get /admin/api/tenants/{tenant}/audit': { res: AuditEvent[] };
  'get /admin/api/tenants/{tenant}/overview': { res: Overview };
  'get /admin/api/tenants/{tenant}/keys': { res: SigningKey[] };
  'post /admin/api/tenants/{tenant}/keys/rotate': { res: SigningKey[]; body: { force: boolean } };
  'post /admin/api/tenants/{tenant}/keys/{kid}/withdraw': { res: SigningKey[] };
}

export type Endpoint = keyof Endpoints;

/** The same keys at run time; the compiler keeps the two lists equal (a missing key fails). */
const LIST: Record<Endpoint, true> = {
  'get /admin/api/tenants': true,
  'get /admin/api/tenants/{tenant}/applications': true,
  'post /admin/api/tenants/{tenant}/applications': true,
  'get /admin/api/tenants/{tenant}/applications/{clientId}': true,
  'patch /admin/api/tenants/{tenant}/applications/{clientId}': true,
  'delete /admin/api/tenants/{tenant}/applications/{clientId}': true,
  'post /admin/api/tenants/{tenant}/applications/{clientId}/secret': true,
  'post /admin/api/tenants/{tenant}/applications/{clientId}/revoke-tokens': true,
  'get /admin/api/tenants/{tenant}/resource-servers': true,
  'post /admin/api/tenants/{tenant}/resource-servers': true,
  'get /admin/api/tenants/{tenant}/resource-servers/{id}': true,
  'put /admin/api/tenants/{tenant}/resource-servers/{id}': true,
  'get /admin/api/tenants/{tenant}/users': true,
  'post /admin/api/tenants/{tenant}/users': true,
  'get /admin/api/tenants/{tenant}/users/{id}': true,
  'patch /admin/api/tenants/{tenant}/users/{id}': true,
  'get /admin/api/tenants/{tenant}/users/{id}/permissions': true,
  'put /admin/api/tenants/{tenant}/users/{id}/permissions': true,
  'post /admin/api/tenants/{tenant}/users/{id}/sign-out': true,
  'get /admin/api/tenants/{tenant}/sessions': true,
  'get /admin/api/tenants/{tenant}/sessions/{id}': true,
  'delete /admin/api/tenants/{tenant}/sessions/{id}': true,
  'get /admin/api/tenants/{tenant}/backchannel-deliveries': true,
  'get /admin/api/tenants/{tenant}/audit': true,
  'get /admin/api/tenants/{tenant}/overview': true,
  'get /admin/api/tenants/{tenant}/keys': true,
  'post /admin/api/tenants/{tenant}/keys/rotate': true,
  'post /admin/api/tenants/{tenant}/keys/{kid}/withdraw': true,
};

export const ENDPOINTS = Object.keys(LIST) as Endpoint[];

/** Splits `get /admin/api/...` into the method and the path template. */
export function parseEndpoint(e: Endpoint): { method: string; path: string } {
  const space = e.indexOf(' ');
  return { method: e.slice(0, space), path: e.slice(space + 1) };
}
