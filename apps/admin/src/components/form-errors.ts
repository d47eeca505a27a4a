import type { FieldValues, Path, UseFormSetError } from 'react-hook-form';
import { ApiError } from '../api/client';

/**
 * Puts the API's field problems next to their fields: `/policy/accessTokenTtl` →
 * `policy.accessTokenTtl`. Returns the message for the form when a problem names no known field.
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
    else unplaced.push(e.detail);
  }
  if (!err.fieldErrors().length || unplaced.length) return [err.message, ...unplaced].join(' — ');
  return err.message;
}
