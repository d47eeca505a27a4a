// A lifetime field bound to a react-hook-form string (`15m`): it says what the value means in
// words, and what applies when it is left empty.
import { Controller, type Control, type FieldPathByValue, type FieldValues } from 'react-hook-form';
import { humanDuration } from './format';
import { Field } from './ui';

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
  return (
    <Controller
      control={p.control}
      name={p.name}
      render={({ field, fieldState }) => {
        const value = field.value as string;
        const parts = [
          p.hint,
          p.fallback
            ? `${p.fallback.label}: ${p.fallback.value} (${humanDuration(p.fallback.value)})`
            : undefined,
          value && !fieldState.error ? `${p.owner}: ${humanDuration(value)}` : undefined,
        ].filter(Boolean);
        return (
          <Field
            label={p.label}
            {...field}
            placeholder={p.fallback?.value}
            description={parts.join(' · ') || undefined}
            error={fieldState.error?.message}
          />
        );
      }}
    />
  );
}
