import { useWatch, type Control } from 'react-hook-form';
import type { Tenant } from '../../api/types';
import { toPolicyInput, type PolicyForm } from './application-form';
import { effective, previewSentences } from './policy-preview';

/**
 * What the policy being edited means, in words, as the fields change: an application's overrides
 * on its tenant's defaults, or the tenant's defaults being edited.
 */
export function PolicyPreview<T extends { policy: PolicyForm }>(p: {
  control: Control<T>;
  tenant: Tenant;
}) {
  // every form that shows this keeps its policy under `policy`
  const policy = useWatch({
    control: p.control as unknown as Control<{ policy: PolicyForm }>,
    name: 'policy',
  });
  const overrides = toPolicyInput(policy);
  return (
    <section className="preview" aria-labelledby="preview-title" aria-live="polite">
      <h2 id="preview-title">What this policy means</h2>
      {overrides ? (
        <ul>
          {previewSentences(effective(p.tenant.policy, overrides)).map((s) => (
            <li key={s}>{s}</li>
          ))}
        </ul>
      ) : (
        <p className="hint">Fix the lifetimes above to see what they mean.</p>
      )}
    </section>
  );
}
