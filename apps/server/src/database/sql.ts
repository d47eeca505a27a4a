import type { EntityManager } from 'typeorm';

/**
 * One hand-written SQL statement: its final text, readable top to bottom, under the name it is
 * snapshotted by (`apps/server/src/queries/*.sql`) and, for a hot one, prepared as (see hotQuery).
 * `Row` is the shape of a row it returns; it exists for the type checker only.
 */
export interface Statement<Row = unknown> {
  readonly name: string;
  readonly text: string;
  /** Never set: carries the row type from the statement to whoever runs it. */
  readonly row?: Row;
}

/**
 * A named statement from a template literal: ``sql<Row>('tessera_x')`SELECT …` ``. What it
 * interpolates are constants (a select list, a shared condition), fixed when the module loads; the
 * common indentation and the blank edges are taken off, so the text sent, the snapshot and the
 * source read the same.
 */
export function sql<Row = unknown>(name: string) {
  return (strings: TemplateStringsArray, ...parts: Array<string | number>): Statement<Row> => ({
    name,
    text: dedent(String.raw({ raw: strings }, ...parts)),
  });
}

/** Runs a statement in the manager's connection (its transaction, when it has one). */
export function run<Row>(em: EntityManager, s: Statement<Row>, values: unknown[]): Promise<Row[]> {
  return em.query(s.text, values);
}

export function dedent(text: string): string {
  const lines = text
    .replace(/^\s*\n/, '')
    .replace(/\s+$/, '')
    .split('\n');
  const indents = lines
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => /^ */.exec(l)![0].length); // a regex that matches the empty string always matches
  const cut = indents.length ? Math.min(...indents) : 0;
  return [lines[0].trimStart(), ...lines.slice(1).map((l) => l.slice(cut).trimEnd())].join('\n');
}

/** camelCase in TypeScript, snake_case in SQL: the rule of the naming strategy and of every select list. */
export const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/**
 * A table's select list from its field names, each column aliased back to its camelCase name:
 * `selectList('s', ['id', 'userId'])` is `s.id, s.user_id AS "userId"`. With `satisfies` against
 * the entity's keys, a list is both the SQL and the row type (`Pick<Entity, typeof list[number]>`).
 */
export function selectList(alias: string, fields: readonly string[]): string {
  return fields
    .map((f) => {
      const column = `${alias}.${snake(f)}`;
      return snake(f) === f ? column : `${column} AS "${f}"`;
    })
    .join(', ');
}

/**
 * The values of a statement whose conditions vary (a list's filters), numbered as they are added:
 * `where.push(\`s.user_id = ${p.add(userId)}\`)`, then `query(text, p.values)`. No placeholder is
 * numbered by hand, so adding a filter cannot shift another's.
 */
export class Params {
  readonly values: unknown[] = [];

  /** The placeholder (`$n`) of a new value. */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}
