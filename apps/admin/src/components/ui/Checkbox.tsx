// The react-aria checkbox with a visible box that shows its state without relying on colour.
import type { ReactNode } from 'react';
import { Checkbox as AriaCheckbox } from 'react-aria-components';

export interface CheckboxProps {
  children: ReactNode;
  isSelected: boolean;
  onChange: (v: boolean) => void;
  isDisabled?: boolean;
  value?: string;
}

export function Checkbox(p: CheckboxProps) {
  return (
    <AriaCheckbox
      className="checkbox"
      isSelected={p.isSelected}
      onChange={p.onChange}
      isDisabled={p.isDisabled}
      value={p.value}
    >
      <span className="checkbox-box" aria-hidden="true">
        {p.isSelected ? '✓' : ''}
      </span>
      {p.children}
    </AriaCheckbox>
  );
}
