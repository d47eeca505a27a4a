// A text field bound to a console form (useConsoleForm): its value, change, blur and
// focus-on-error ref come from the form, and its error shows beneath it once it should.
import type { Control, FieldPathByValue, FieldValues } from 'react-hook-form';
import { Field, type FieldProps } from './ui';
import { useFormControl } from './use-console-form';

type BoundProps = 'value' | 'onChange' | 'onBlur' | 'name' | 'ref' | 'disabled' | 'error';

export function FormField<T extends FieldValues>({
  control,
  name,
  ...props
}: Omit<FieldProps, BoundProps> & {
  control: Control<T>;
  name: FieldPathByValue<T, string>;
}) {
  const { field, error } = useFormControl(control, name);
  return (
    <Field
      {...props}
      name={field.name}
      value={field.value as string}
      onChange={field.onChange}
      onBlur={field.onBlur}
      ref={field.ref}
      error={error}
    />
  );
}
