// The kit: thin wrappers over react-aria-components (and the native select), one per file.
export { Button } from './Button';
export { Checkbox, type CheckboxProps } from './Checkbox';
export { CheckGroup, type CheckGroupProps } from './CheckGroup';
export { Field, type FieldProps } from './Field';
export { ModalDialog } from './ModalDialog';
export { Select, type SelectProps } from './Select';
