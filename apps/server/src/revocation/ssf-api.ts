/**
 * Every tenant's built-in Shared Signals API (SSF 1.0 §8): the stream management and poll
 * endpoints at `/t/{slug}/ssf`, served by the shared-signals module; named here, beside the events
 * it streams, so that the tenant's built-ins (admin) and the API agree on it. Its tokens are an application's own (client_credentials), for this
 * audience alone (RFC 9068 §4); which applications may obtain them is the tenant's choice, by their
 * grants. No user holds its scopes.
 */
export const SSF_API_AUDIENCE = 'urn:tessera:ssf';

export const SSF_SCOPES = [
  { name: 'ssf:streams:read', description: 'Read your event streams and poll their events' },
  { name: 'ssf:streams:write', description: 'Create, change and delete your event streams' },
] as const;

export type SsfScope = (typeof SSF_SCOPES)[number]['name'];
