// A text field bound to a react-hook-form field: its value, change, blur and focus-on-error ref
// come from the form, and the schema's or the API's message for it shows beneath it.
import { Controller, type Control, type FieldPathByValue, type FieldValues } from 'react-hook-form';
import { Field, type FieldProps } from './ui';

type BoundProps = 'value' | 'onChange' | 'onBlur' | 'name' | 'ref' | 'disabled' | 'error';

export function FormField<T extends FieldValues>({
  control,
  name,
  ...props
}: Omit<FieldProps, BoundProps> & {
  control: Control<T>;
  name: FieldPathByValue<T, string>;
}) {
  return (
    <Controller
      control={control}
      name={name}
      render={({ field, fieldState }) => (
        <Field {...props} {...field} error={fieldState.error?.message} />
      )}
    />
  );
}
