import { z } from 'zod';
import {
  createUserSchema,
  updateUserSchema,
  userPermissionsSchema,
  rotateKeysSchema,
  revokeSessionSchema,
  resourceServerSchema,
  createApplicationSchema,
  createTenantSchema,
  grantAdminSchema,
  updateApplicationSchema,
  updateTenantSchema,
} from '@tessera/contracts';

interface Route {
  method: 'get' | 'post' | 'patch' | 'put' | 'delete';
  path: string;
  summary: string;
  scope: string;
  body?: z.ZodType;
  status?: number;
}

/** One line per admin route; the document below is generated from these and the contract schemas. */
export const ADMIN_ROUTES: Route[] = [
  {
    method: 'get',
    path: '/admin/api/tenants',
    summary: 'Tenants the caller administers',
    scope: 'admin:tenants:read',
  },
  {
    method: 'post',
    path: '/admin/api/tenants',
    summary: 'Create a tenant (system administrators)',
    scope: 'admin:tenants:write',
    body: createTenantSchema,
    status: 201,
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}',
    summary: 'A tenant and its policy defaults',
    scope: 'admin:tenants:read',
  },
  {
    method: 'patch',
    path: '/admin/api/tenants/{tenant}',
    summary: 'Change a tenant name or policy defaults',
    scope: 'admin:tenants:write',
    body: updateTenantSchema,
  },
  {
    method: 'delete',
    path: '/admin/api/tenants/{tenant}',
    summary:
      'Delete a tenant (system administrators): its issuer goes at once, everything it held ends',
    scope: 'admin:tenants:write',
    status: 204,
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/admins',
    summary: 'Administrators of a tenant',
    scope: 'admin:tenants:read',
  },
  {
    method: 'put',
    path: '/admin/api/tenants/{tenant}/admins',
    summary:
      'Make a user, or a client_credentials application, of the tenant one of its administrators',
    scope: 'admin:tenants:write',
    body: grantAdminSchema,
    status: 204,
  },
  {
    method: 'delete',
    path: '/admin/api/tenants/{tenant}/admins/{subject}',
    summary: 'Remove an administrator',
    scope: 'admin:tenants:write',
    status: 204,
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/applications',
    summary: 'Applications of a tenant',
    scope: 'admin:applications:read',
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant}/applications',
    summary: 'Create an application; the client secret is shown once',
    scope: 'admin:applications:write',
    body: createApplicationSchema,
    status: 201,
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/applications/{clientId}',
    summary: 'An application with its effective policy',
    scope: 'admin:applications:read',
  },
  {
    method: 'patch',
    path: '/admin/api/tenants/{tenant}/applications/{clientId}',
    summary: 'Change an application; isDisabled: true ends everything it held',
    scope: 'admin:applications:write',
    body: updateApplicationSchema,
  },
  {
    method: 'delete',
    path: '/admin/api/tenants/{tenant}/applications/{clientId}',
    summary: 'Delete an application (everything it held ends first: sign-ins, families, tokens)',
    scope: 'admin:applications:write',
    status: 204,
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant}/applications/{clientId}/revoke-tokens',
    summary:
      'Revoke every token of an application (its sign-ins end, with back-channel logouts); answers what ended',
    scope: 'admin:applications:write',
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant}/applications/{clientId}/secret',
    summary: 'Regenerate the client secret (shown once)',
    scope: 'admin:applications:write',
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/resource-servers',
    summary: 'Resource servers of a tenant',
    scope: 'admin:resource-servers:read',
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant}/resource-servers',
    summary: 'Register a resource server with its scopes and permission groups',
    scope: 'admin:resource-servers:write',
    body: resourceServerSchema,
    status: 201,
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/resource-servers/{id}',
    summary: 'A resource server',
    scope: 'admin:resource-servers:read',
  },
  {
    method: 'put',
    path: '/admin/api/tenants/{tenant}/resource-servers/{id}',
    summary: 'Replace a resource server definition (the identifier stays)',
    scope: 'admin:resource-servers:write',
    body: resourceServerSchema,
  },
  {
    method: 'delete',
    path: '/admin/api/tenants/{tenant}/resource-servers/{id}',
    summary: 'Delete a resource server',
    scope: 'admin:resource-servers:write',
    status: 204,
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/users',
    summary: 'Users of a tenant (filter: ?email=)',
    scope: 'admin:users:read',
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant}/users',
    summary: 'Create a user',
    scope: 'admin:users:write',
    body: createUserSchema,
    status: 201,
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/users/{id}',
    summary: 'A user',
    scope: 'admin:users:read',
  },
  {
    method: 'patch',
    path: '/admin/api/tenants/{tenant}/users/{id}',
    summary: 'Disable (ends all sessions), reset the password, change roles',
    scope: 'admin:users:write',
    body: updateUserSchema,
  },
  {
    method: 'delete',
    path: '/admin/api/tenants/{tenant}/users/{id}',
    summary: 'Delete a user (every session ends first, with back-channel logouts)',
    scope: 'admin:users:write',
    status: 204,
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/users/{id}/permissions',
    summary: 'What a user holds per resource server',
    scope: 'admin:users:read',
  },
  {
    method: 'put',
    path: '/admin/api/tenants/{tenant}/users/{id}/permissions',
    summary: 'Replace what a user holds (permission groups and scopes per resource server)',
    scope: 'admin:users:write',
    body: userPermissionsSchema,
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant}/resource-servers/{id}/credentials',
    summary: 'Issue introspection credentials for a resource server (secret shown once)',
    scope: 'admin:resource-servers:write',
  },
  {
    method: 'delete',
    path: '/admin/api/tenants/{tenant}/sessions/{id}',
    summary: 'End a session now (its tokens die; back-channel logouts go out)',
    scope: 'admin:sessions:write',
    body: revokeSessionSchema,
    status: 204,
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant}/users/{id}/sign-out',
    summary: 'Sign a user out everywhere',
    scope: 'admin:sessions:write',
    body: revokeSessionSchema,
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/backchannel-deliveries',
    summary: 'Back-channel logout deliveries (?status=&session=&limit=)',
    scope: 'admin:sessions:read',
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/audit',
    summary: 'Security events, newest first (?type=&before=&limit=)',
    scope: 'admin:audit:read',
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/sessions',
    summary: 'Live sessions, last seen first (?user=&application=&limit=&cursor=)',
    scope: 'admin:sessions:read',
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/sessions/{id}',
    summary: 'A session with its surfaces and refresh-token families',
    scope: 'admin:sessions:read',
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/overview',
    summary: 'Active sessions now; sign-ins and refreshes per hour over the last 24 hours',
    scope: 'admin:sessions:read',
  },
  {
    method: 'get',
    path: '/admin/api/tenants/{tenant}/keys',
    summary: 'Signing keys and their states',
    scope: 'admin:keys:read',
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant}/keys/rotate',
    summary: 'Rotate signing keys: next → active → retired',
    scope: 'admin:keys:write',
    body: rotateKeysSchema,
  },
  {
    method: 'post',
    path: '/admin/api/tenants/{tenant}/keys/{kid}/withdraw',
    summary:
      'Withdraw a leaked key: out of the JWKS at once, every token it signed refused (an active key is replaced first)',
    scope: 'admin:keys:write',
  },
];

const problem = {
  type: 'object',
  required: ['type', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['pointer', 'detail'],
        properties: { pointer: { type: 'string' }, detail: { type: 'string' } },
      },
    },
  },
};

export function openApiDocument(publicUrl: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ADMIN_ROUTES) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const success = String(r.status ?? 200);
    paths[r.path] ??= {};
    paths[r.path][r.method] = {
      summary: r.summary,
      security: [{ bearer: [r.scope] }],
      parameters: params,
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }),
                },
              },
            },
          }
        : {}),
      responses: {
        [success]: { description: success === '204' ? 'Done' : 'OK' },
        '400': {
          description: 'Invalid body; each field problem names its JSON pointer',
          content: { 'application/problem+json': { schema: problem } },
        },
        '401': {
          description: 'No or invalid admin token',
          content: { 'application/problem+json': { schema: problem } },
        },
        '403': {
          description: 'Missing scope',
          content: { 'application/problem+json': { schema: problem } },
        },
        '404': {
          description: 'Not found, or a tenant the caller does not administer',
          content: { 'application/problem+json': { schema: problem } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Tessera admin API', version: '0.1.0' },
    servers: [{ url: publicUrl }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'An access token of the system tenant for urn:tessera:admin-api',
        },
      },
    },
    paths,
  };
}
