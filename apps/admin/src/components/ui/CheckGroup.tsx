import { useId, type ReactNode } from 'react';
import { Checkbox } from './Checkbox';

export interface CheckGroupProps<V extends string> {
  label: ReactNode;
  /** The group's accessible name (the visible label is often shared by several groups). */
  name: string;
  options: Array<{ value: V; label: ReactNode }>;
  selected: readonly V[];
  onToggle: (value: V, on: boolean) => void;
  /** Shown when there is no option (by default the group is left out). */
  empty?: ReactNode;
  error?: string;
  className?: string;
}

/** A labelled group of checkboxes, one per option; nothing when there is no option. */
export function CheckGroup<V extends string>(p: CheckGroupProps<V>) {
  const errorId = useId();
  if (p.options.length === 0 && !p.empty) return null;
  return (
    <div
      role="group"
      aria-label={p.name}
      aria-describedby={p.error ? errorId : undefined}
      className={p.className ?? 'checks'}
    >
      <span className="label">{p.label}</span>
      {p.options.length === 0 ? <span className="hint">{p.empty}</span> : null}
      {p.options.map((o) => (
        <Checkbox
          key={o.value}
          isSelected={p.selected.includes(o.value)}
          onChange={(on) => p.onToggle(o.value, on)}
        >
          {o.label}
        </Checkbox>
      ))}
      {p.error ? (
        <span id={errorId} className="field-error" role="alert">
          {p.error}
        </span>
      ) : null}
    </div>
  );
}
