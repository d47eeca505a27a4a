import type { ReactNode } from 'react';

export interface SelectProps<V extends string> {
  label: string;
  value: V;
  onChange: (v: V) => void;
  options: Array<{ value: V; label: string }>;
  description?: ReactNode;
  error?: string;
  id: string;
  isDisabled?: boolean;
}

/** A native select: accessible as it is, and keyboard-friendly on every platform. */
export function Select<V extends string>(p: SelectProps<V>) {
  const hint = p.description ? `${p.id}-hint` : undefined;
  const err = p.error ? `${p.id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={p.id}>{p.label}</label>
      <select
        id={p.id}
        value={p.value}
        disabled={p.isDisabled}
        aria-invalid={p.error ? true : undefined}
        aria-describedby={[hint, err].filter(Boolean).join(' ') || undefined}
        onChange={(e) => p.onChange(e.target.value as V)}
      >
        {p.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {p.description ? (
        <span id={hint} className="hint">
          {p.description}
        </span>
      ) : null}
      {p.error ? (
        <span id={err} className="field-error" role="alert">
          {p.error}
        </span>
      ) : null}
    </div>
  );
}
