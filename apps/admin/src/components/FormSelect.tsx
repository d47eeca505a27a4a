// A select bound to a react-hook-form field: its value and change come from the form, and the
// schema's or the API's message for it shows beneath it.
import { Controller, type Control, type FieldPathByValue, type FieldValues } from 'react-hook-form';
import { Select, type SelectProps } from './ui';

export function FormSelect<T extends FieldValues, V extends string>({
  control,
  name,
  ...props
}: Omit<SelectProps<V>, 'value' | 'onChange' | 'error'> & {
  control: Control<T>;
  name: FieldPathByValue<T, V>;
}) {
  return (
    <Controller
      control={control}
      name={name}
      render={({ field, fieldState }) => (
        <Select
          {...props}
          value={field.value}
          onChange={field.onChange}
          error={fieldState.error?.message}
        />
      )}
    />
  );
}
