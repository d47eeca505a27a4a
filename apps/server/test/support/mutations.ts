import fc from 'fast-check';

/** Header-safe text (fetch refuses control characters in header values). */
export const headerText = fc.stringMatching(/^[\x20-\x7e]{0,300}$/);

/** Anything a form value can carry: unicode, NUL, percent signs, very long. */
export const anyValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 50 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '%',
    '%00',
    "' OR 1=1--",
    '../../etc/passwd',
    'A'.repeat(5000),
  ),
);

/** A value that differs from `original`: a flipped character, a cut, an addition, a case change… */
export function mutated(original: string): fc.Arbitrary<string> {
  return fc
    .oneof(
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const at = i % Math.max(1, original.length);
        const c = String.fromCharCode((original.charCodeAt(at) ^ x) & 0x7f || 0x41);
        return original.slice(0, at) + c + original.slice(at + 1);
      }),
      fc.nat().map((i) => original.slice(0, i % Math.max(1, original.length))),
      anyValue.map((s) => original + s),
      anyValue.map((s) => s + original),
      fc.constant(original.toUpperCase()),
      fc.constant(original.toLowerCase()),
      fc.constant(` ${original}`),
      fc.constant(`${original}=`),
      fc.constant(original.replace(/-/g, '+').replace(/_/g, '/')),
      anyValue,
    )
    .filter((m) => m !== original);
}

export function basicOf(id: string, secret: string): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}
