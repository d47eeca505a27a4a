// A checkbox bound to a react-hook-form boolean field.
import type { ReactNode } from 'react';
import { Controller, type Control, type FieldPathByValue, type FieldValues } from 'react-hook-form';
import { Checkbox } from './ui';

export function FormCheckbox<T extends FieldValues>(p: {
  control: Control<T>;
  name: FieldPathByValue<T, boolean>;
  children: ReactNode;
}) {
  return (
    <Controller
      control={p.control}
      name={p.name}
      render={({ field }) => (
        <Checkbox isSelected={field.value} onChange={field.onChange}>
          {p.children}
        </Checkbox>
      )}
    />
  );
}
