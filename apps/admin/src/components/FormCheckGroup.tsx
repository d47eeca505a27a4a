// A group of checkboxes bound to a react-hook-form list field: ticking adds the option's value,
// unticking removes it, and the schema's or the API's message for the list shows beneath it.
import type { ReactNode } from 'react';
import { Controller, type Control, type FieldPathByValue, type FieldValues } from 'react-hook-form';
import { CheckGroup } from './ui';

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
  return (
    <Controller
      control={p.control}
      name={p.name}
      render={({ field, fieldState }) => {
        const selected = field.value as V[];
        return (
          <CheckGroup
            label={p.label}
            name={p.groupName}
            options={p.options}
            selected={selected}
            onToggle={(v, on) =>
              field.onChange(on ? [...selected, v] : selected.filter((x) => x !== v))
            }
            empty={p.empty}
            error={fieldState.error?.message}
            className={p.className}
          />
        );
      }}
    />
  );
}
