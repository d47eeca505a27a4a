import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { bootstrapSchema, type BootstrapFile } from '@tessera/contracts';

/** Reads and validates a bootstrap file (JSON, or YAML by extension); errors name the file's field. */
export function readBootstrapFile(path: string): BootstrapFile {
  let raw: unknown;
  try {
    const text = readFileSync(path, 'utf8');
    raw = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    // parser messages quote the offending text, which may be a password: say only where
    const e = err as {
      code?: string;
      linePos?: Array<{ line: number; col: number }>;
      message?: string;
    };
    const where = e.linePos?.[0]
      ? ` (line ${e.linePos[0].line}, column ${e.linePos[0].col})`
      : /position (\d+)/.exec(e.message ?? '')?.[0]
        ? ` (at ${/position (\d+)/.exec(e.message ?? '')![0]})`
        : '';
    const what =
      e.code === 'ENOENT'
        ? 'no such file'
        : e.code === 'EACCES'
          ? 'permission denied'
          : 'not valid JSON or YAML';
    throw new Error(`TESSERA_BOOTSTRAP: cannot read ${path}: ${what}${where}`, { cause: err });
  }
  const result = bootstrapSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`TESSERA_BOOTSTRAP: ${path} is not valid:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}
