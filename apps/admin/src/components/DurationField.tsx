// A lifetime field bound to a console form's string (`15m`): it says what the value means in
// words, and what applies when it is left empty.
import type { Control, FieldPathByValue, FieldValues } from 'react-hook-form';
import { humanDuration } from './format';
import { Field } from './ui';
import { useFormControl } from './use-console-form';

export function DurationField<T extends FieldValues>(p: {
  control: Control<T>;
  name: FieldPathByValue<T, string>;
  label: string;
  /** What an empty field means, e.g. the tenant's default lifetime. */
  fallback?: { label: string; value: string };
  /** Who the value applies to, in "this app: 12 hours". */
  owner: string;
  /** Said first, e.g. the field's limit. */
  hint?: string;
}) {
  const { field, error } = useFormControl(p.control, p.name);
  const value = field.value as string;
  const parts = [
    p.hint,
    p.fallback
      ? `${p.fallback.label}: ${p.fallback.value} (${humanDuration(p.fallback.value)})`
      : undefined,
    value && !error && isDuration(value) ? `${p.owner}: ${humanDuration(value)}` : undefined,
  ].filter(Boolean);
  return (
    <Field
      label={p.label}
      name={field.name}
      value={value}
      onChange={field.onChange}
      onBlur={field.onBlur}
      ref={field.ref}
      placeholder={p.fallback?.value}
      description={parts.join(' · ') || undefined}
      error={error}
    />
  );
}

const isDuration = (v: string) => /^\d+[smhd]$/.test(v);
