import { z } from 'zod';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400 } as const;
type Unit = keyof typeof UNIT_SECONDS;

const DURATION_RE = /^(\d{1,7})([smhd])$/;

/** Seconds in a duration written as a number and a unit: `30s`, `15m`, `12h`, `14d`. */
export function durationToSeconds(value: string): number {
  const match = DURATION_RE.exec(value);
  if (!match) throw new Error(`Not a duration: ${value}`);
  return Number(match[1]) * UNIT_SECONDS[match[2] as Unit];
}

/** The largest unit that divides the seconds evenly: 900 → `15m`, 1209600 → `14d`. */
export function secondsToDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_SECONDS[unit];
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

export const durationSchema = z
  .string()
  .regex(DURATION_RE, 'Use a number and a unit (s, m, h or d), e.g. 15m or 14d')
  .refine((v) => !DURATION_RE.test(v) || durationToSeconds(v) > 0, 'Must be longer than zero')
  .refine(
    (v) => !DURATION_RE.test(v) || durationToSeconds(v) <= MAX_DURATION_SECONDS,
    'At most 400d',
  );

/** Longer lifetimes are refused: nothing here should live for years. */
export const MAX_DURATION_SECONDS = 400 * 86400;
