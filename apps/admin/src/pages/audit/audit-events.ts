// The one table of audit event names: the log's Event column, its type filter and any link to it
// read their labels here.

/** Every event type the server records, with the words an administrator reads. */
export const EVENT_LABELS = {
  // administrative changes
  'admin.tenant_created': 'Tenant created',
  'admin.tenant_updated': 'Tenant settings changed',
  'admin.tenant_deleted': 'Tenant deleted',
  'admin.tenant_admin_added': 'Administrator added',
  'admin.tenant_admin_removed': 'Administrator removed',
  'admin.application_created': 'Application created',
  'admin.application_updated': 'Application changed',
  'admin.application_deleted': 'Application deleted by an administrator',
  'admin.application_secret_regenerated': 'Client secret regenerated',
  'admin.application_tokens_revoked': 'Application tokens revoked by an administrator',
  'admin.resource_server_created': 'Resource server created',
  'admin.resource_server_replaced': 'Resource server changed',
  'admin.resource_server_deleted': 'Resource server deleted by an administrator',
  'admin.resource_server_credentials_issued': 'Introspection credentials issued',
  'admin.user_created': 'User created',
  'admin.user_updated': 'User changed',
  'admin.user_deleted': 'User deleted by an administrator',
  'admin.user_permissions_set': 'User permissions changed',
  'admin.user_signed_out': 'User signed out everywhere',
  'admin.keys_rotated': 'Signing keys rotated',
  'admin.key_withdrawn': 'Signing key withdrawn by an administrator',
  'admin.session_revoked': 'Session revoked by an administrator',
  // security events
  refresh_token_reuse: 'Refresh token reuse detected',
  code_reuse: 'Authorization code reuse',
  session_revoked: 'Session ended',
  family_revoked: 'Token family revoked',
  sign_in_failed: 'Sign-in failed',
  sign_in_throttled: 'Sign-in throttled',
  sign_in_succeeded: 'Sign-in succeeded',
  user_disabled: 'User disabled: sessions ended',
  user_deleted: 'User deleted: sessions ended',
  application_tokens_revoked: 'Every token of an application ended',
  application_disabled: 'Application disabled: sign-ins ended',
  application_deleted: 'Application deleted: sign-ins ended',
  key_withdrawn: 'Signing key withdrawn: its tokens refused',
  resource_server_deleted: 'Resource server deleted: grants ended',
  tenant_deleted: 'Tenant deleted: everything it held ended',
  token_exchanged: 'Token exchanged for another API',
  token_exchange_refused: 'Token exchange refused',
} as const satisfies Record<string, string>;

export type AuditEventType = keyof typeof EVENT_LABELS;

/** The label of a type; an unknown type (a newer server) in words from its name. */
export function eventLabel(type: string): string {
  const known = (EVENT_LABELS as Record<string, string>)[type];
  if (known) return known;
  const words = type.replace(/^admin\./, '').replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The type filter's choices: administrative changes, then security events, as labelled above. */
export const TYPE_OPTIONS: Array<{ value: string; label: string }> = [
  { value: '', label: 'All events' },
  ...Object.entries(EVENT_LABELS).map(([value, label]) => ({ value, label })),
];

/** The audit log's URL filters: `?type=&actor=&subject=&from=&to=` (ISO times). */
export interface AuditFilters {
  type?: string;
  actor?: string;
  subject?: string;
  from?: string;
  to?: string;
}

export const FILTER_KEYS = ['type', 'actor', 'subject', 'from', 'to'] as const;

export function filtersOf(search: URLSearchParams): AuditFilters {
  const out: AuditFilters = {};
  for (const k of FILTER_KEYS) {
    const v = search.get(k);
    if (v) out[k] = v;
  }
  return out;
}

/** An ISO time as a `datetime-local` value (local time, to the second), and back. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  // the browser's normalized form: seconds only when not zero, so the field holds what it shows
  const minute = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getSeconds() ? `${minute}:${pad(d.getSeconds())}` : minute;
}

export function fromLocalInput(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** A changed value as the log shows it: secrets never have one. */
export function shownValue(v: unknown): string {
  if (v === undefined) return '—';
  if (v === null) return 'none';
  if (typeof v === 'string') return v === '' ? '""' : v;
  return JSON.stringify(v);
}

/** The words for the detail the server records with security events (a reuse's `action`…). */
const DETAIL_NAMES: Record<string, string> = {
  action: 'then',
  familyId: 'token family',
  generation: 'token generation',
  reason: 'reason',
  ended: 'sessions ended',
  sessions: 'sessions',
  sessionsEnded: 'sessions ended whole',
  families: 'token families',
};
const DETAIL_VALUES: Record<string, string> = {
  'revoke-session': 'signed the whole session out',
  'revoke-family': 'revoked this sign-in’s tokens',
};

/** One detail entry as an investigator reads it: "then: signed the whole session out". */
export function detailEntry(key: string, value: unknown): string {
  const shown =
    typeof value === 'string'
      ? (DETAIL_VALUES[value] ?? value)
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  return `${DETAIL_NAMES[key] ?? key}: ${shown}`;
}
