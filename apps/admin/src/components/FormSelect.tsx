// A select bound to a console form: its value and change come from the form, and its error shows
// beneath it once it should.
import type { Control, FieldPathByValue, FieldValues } from 'react-hook-form';
import { Select, type SelectProps } from './ui';
import { useFormControl } from './use-console-form';

export function FormSelect<T extends FieldValues, V extends string>({
  control,
  name,
  ...props
}: Omit<SelectProps<V>, 'value' | 'onChange' | 'error'> & {
  control: Control<T>;
  name: FieldPathByValue<T, V>;
}) {
  const { field, error } = useFormControl(control, name, { isChoice: true });
  return <Select {...props} value={field.value as V} onChange={field.onChange} error={error} />;
}
