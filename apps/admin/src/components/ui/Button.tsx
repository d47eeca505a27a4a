// The react-aria button with the console's variants; `isDisabled` pairs with a visible reason.
import { Button as AriaButton, type ButtonProps } from 'react-aria-components';

export function Button({
  variant = 'secondary',
  className,
  ...props
}: ButtonProps & { variant?: 'primary' | 'secondary' | 'danger' | 'link' }) {
  return <AriaButton {...props} className={`btn btn-${variant} ${String(className ?? '')}`} />;
}
