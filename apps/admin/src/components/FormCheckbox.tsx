// A checkbox bound to a console form's boolean field.
import type { ReactNode } from 'react';
import type { Control, FieldPathByValue, FieldValues } from 'react-hook-form';
import { Checkbox } from './ui';
import { useFormControl } from './use-console-form';

export function FormCheckbox<T extends FieldValues>(p: {
  control: Control<T>;
  name: FieldPathByValue<T, boolean>;
  children: ReactNode;
  isDisabled?: boolean;
}) {
  const { field } = useFormControl(p.control, p.name, { isChoice: true });
  return (
    <Checkbox
      isSelected={field.value as boolean}
      onChange={field.onChange}
      isDisabled={p.isDisabled}
    >
      {p.children}
    </Checkbox>
  );
}
