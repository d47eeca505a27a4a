import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { ApiError } from '../api/client';

/**
 * Puts the API's field problems next to their fields: `/policy/accessTokenTtl` →
 * `policy.accessTokenTtl`. Returns the message for the form, if any: the API's, with the problems
 * no shown field can hold.
 */
export function applyApiErrors<T extends FieldValues>(
  err: unknown,
  setError: UseFormSetError<T>,
  fieldOf: (pointer: string) => string | undefined = (p) => p.slice(1).replace(/\//g, '.'),
): string | undefined {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : 'Request failed';
  const unplaced: string[] = [];
  for (const e of err.fieldErrors()) {
    const field = fieldOf(e.pointer);
    if (field) setError(field as Path<T>, { type: 'server', message: e.detail });
    // its words, never its pointer
    else unplaced.push(e.detail);
  }
  // every problem sits by its field: the form's summary says so, and clears with them
  if (err.fieldErrors().length && !unplaced.length) return undefined;
  return [err.message, ...unplaced].join(' — ');
}
