import { SYSTEM_TENANT } from '../tenants';

/** The admin console: a public client (code + PKCE, rotating refresh tokens) of every tenant. */
export const CONSOLE_CLIENT_ID = 'tessera-console';
/** The system tenant's machine client for the admin API (client credentials), made at first start. */
export const AUTOMATION_CLIENT_ID = 'tessera-automation';

/**
 * What Tessera itself uses a built-in client for, or undefined for a tenant's own application. A
 * confidential application that took the console's id before it was built in is the tenant's own:
 * it is not the console (which is public), and deleting it is how the console gets its id back.
 */
export function builtInClientUse(
  tenantSlug: string,
  app: { clientId: string; type: string },
): 'console' | 'automation' | undefined {
  if (app.clientId === CONSOLE_CLIENT_ID && app.type === 'public') return 'console';
  if (tenantSlug === SYSTEM_TENANT && app.clientId === AUTOMATION_CLIENT_ID) return 'automation';
  return undefined;
}
