import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import type { LabelSelector, Requirement } from '../machinery/labels.js';

/**
 * A label selector as a SQL condition on the `labels` jsonb column, so selective lists use the GIN index
 * instead of reading every object of the kind. Same meaning as machinery/labels.ts matchesLabels.
 */
export function labelSelectorSql(selector: LabelSelector, column: RawBuilder<unknown> = sql.ref('labels')): RawBuilder<boolean> {
  if (selector.length === 0) return sql<boolean>`true`;
  return sql<boolean>`(${sql.join(selector.map((r) => requirementSql(r, column)), sql` AND `)})`;
}

function requirementSql(r: Requirement, labels: RawBuilder<unknown>): RawBuilder<boolean> {
  const value = sql`${labels}->>${r.key}`;
  switch (r.operator) {
    case '=':
    case '==':
    case 'in':
      if (r.values.length === 1) return sql<boolean>`${labels} @> ${JSON.stringify({ [r.key]: r.values[0] })}::jsonb`;
      return sql<boolean>`${value} = ANY(${r.values}::text[])`;
    case '!=':
    case 'notin':
      return sql<boolean>`(${value} IS NULL OR NOT (${value} = ANY(${r.values}::text[])))`;
    case 'exists':
      return sql<boolean>`(${labels} ? ${r.key})`;
    case '!':
      return sql<boolean>`NOT (${labels} ? ${r.key})`;
    case 'gt':
    case 'lt': {
      // Upstream: the label must hold an integer, compared with the selector's integer.
      const cmp = r.operator === 'gt' ? sql.raw('>') : sql.raw('<');
      return sql<boolean>`(${value} ~ '^-?[0-9]{1,18}$' AND (${value})::bigint ${cmp} ${r.values[0]}::bigint)`;
    }
  }
}
