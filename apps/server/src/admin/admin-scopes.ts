/** The admin API's resource server, in the system tenant: the `aud` of admin tokens. */
export const ADMIN_API_AUDIENCE = 'urn:tessera:admin-api';

export const ADMIN_SCOPES = [
  { name: 'admin:tenants:read', description: 'Read tenants and their defaults' },
  { name: 'admin:tenants:write', description: 'Create and change tenants' },
  { name: 'admin:applications:read', description: 'Read applications' },
  {
    name: 'admin:applications:write',
    description: 'Create, change and delete applications; regenerate secrets',
  },
  { name: 'admin:keys:read', description: 'Read signing keys' },
  { name: 'admin:keys:write', description: 'Rotate signing keys' },
  { name: 'admin:users:read', description: 'Read users' },
  { name: 'admin:users:write', description: 'Create, disable and change users' },
  {
    name: 'admin:resource-servers:read',
    description: 'Read resource servers, scopes and permission groups',
  },
  {
    name: 'admin:resource-servers:write',
    description: 'Change resource servers, scopes and permission groups',
  },
  { name: 'admin:sessions:read', description: 'Read live sessions' },
  { name: 'admin:sessions:write', description: 'Revoke sessions' },
  { name: 'admin:audit:read', description: 'Read the audit log' },
] as const;

/** A scope the admin API checks: a route names one of these, nothing else. */
export type AdminScope = (typeof ADMIN_SCOPES)[number]['name'];
