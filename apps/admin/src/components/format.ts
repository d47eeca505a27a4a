import { durationToSeconds } from '@tessera/contracts';

const UNITS: Array<[number, string]> = [
  [86400, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
  [1, 'second'],
];

/** 1209600 → "14 days", 5400 → "1 hour 30 minutes". */
export function humanSeconds(total: number): string {
  if (total <= 0) return '0 seconds';
  const parts: string[] = [];
  let left = total;
  for (const [size, name] of UNITS) {
    const n = Math.floor(left / size);
    if (n > 0) {
      parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
      left -= n * size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

export function humanDuration(d: string): string {
  try {
    return humanSeconds(durationToSeconds(d));
  } catch {
    return d;
  }
}

/** 1, "session", "sessions" → "1 session"; 3 → "3 sessions". */
export function counted(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short',
  });
}

/** To the second, for evidence: a lineage's rotations, when a session ended. */
export function dateTimeToSecond(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  });
}

/** "in 3 hours" / "5 minutes ago", coarse on purpose. */
export function relative(iso: string, now = Date.now()): string {
  const diff = Math.round((new Date(iso).getTime() - now) / 1000);
  const text = humanSeconds(Math.abs(diff)).split(' ').slice(0, 2).join(' ');
  if (Math.abs(diff) < 5) return 'now';
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

export function shortUserAgent(ua: string | null): string {
  if (!ua) return '—';
  const m = /(Firefox|Edg|Chrome|Safari|HeadlessChrome|curl|node|undici)[/ ]?([\d.]*)/.exec(ua);
  return m ? `${m[1]} ${m[2].split('.')[0]}`.trim() : ua.slice(0, 40);
}
