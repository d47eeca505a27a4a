/**
 * Every tenant's built-in account API: a signed-in user's own devices at `/t/{slug}/account`. Its
 * tokens are meant for it alone (RFC 9068 §4, RFC 8707), so a resource server that receives a
 * user's token for itself cannot list or end that user's sessions. Every user holds its scopes;
 * which applications may ask for them is the tenant's choice, by their grants.
 */
export const ACCOUNT_API_AUDIENCE = 'urn:tessera:account';

export const ACCOUNT_SCOPES = [
  { name: 'account:sessions:read', description: 'List your own sessions and devices' },
  { name: 'account:sessions:write', description: 'End your own sessions' },
] as const;
