// A group of checkboxes bound to a console form's list field: ticking adds the option's value,
// unticking removes it, and the error for the list (or one of its items) shows beneath it.
import type { ReactNode } from 'react';
import type { Control, FieldPathByValue, FieldValues } from 'react-hook-form';
import { CheckGroup } from './ui';
import { useFormControl } from './use-console-form';

export function FormCheckGroup<T extends FieldValues, V extends string>(p: {
  control: Control<T>;
  name: FieldPathByValue<T, V[]>;
  label: ReactNode;
  /** The group's accessible name. */
  groupName: string;
  options: Array<{ value: V; label: ReactNode }>;
  /** Shown when there is no option yet. */
  empty?: ReactNode;
  className?: string;
}) {
  const { field, error } = useFormControl(p.control, p.name, { isChoice: true });
  const selected = field.value as V[];
  return (
    <CheckGroup
      label={p.label}
      name={p.groupName}
      options={p.options}
      selected={selected}
      onToggle={(v, on) => field.onChange(on ? [...selected, v] : selected.filter((x) => x !== v))}
      empty={p.empty}
      error={error}
      className={p.className}
    />
  );
}
