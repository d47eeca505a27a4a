import type { AuditView } from '@tessera/contracts';

/** The CSV columns of an audit export, in order. */
const COLUMNS: Array<[string, (e: AuditView) => unknown]> = [
  ['time', (e) => e.createdAt],
  ['type', (e) => e.type],
  ['actor_id', (e) => e.actor?.id],
  ['actor', (e) => e.actor?.name],
  ['subject_kind', (e) => e.subject?.kind],
  ['subject_id', (e) => e.subject?.id],
  ['subject', (e) => e.subject?.name],
  ['changes', (e) => (e.changes.length ? JSON.stringify(e.changes) : '')],
  ['session_id', (e) => e.sessionId],
  ['user_id', (e) => e.userId],
  ['client_id', (e) => e.clientId],
  ['ip', (e) => e.ip],
  ['user_agent', (e) => e.userAgent],
  ['detail', (e) => (Object.keys(e.detail).length ? JSON.stringify(e.detail) : '')],
  ['id', (e) => e.id],
];

/**
 * One CSV cell (RFC 4180): quoted when it holds a quote, a comma or a line break. A cell a
 * spreadsheet would run as a formula (= + - @, or a tab or carriage return first) is prefixed with
 * a quote mark, so an attacker's user agent or name cannot become one.
 */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function auditCsvHeader(): string {
  return `${COLUMNS.map(([name]) => name).join(',')}\r\n`;
}

export function auditCsvLine(e: AuditView): string {
  return `${COLUMNS.map(([, get]) => csvCell(get(e))).join(',')}\r\n`;
}
