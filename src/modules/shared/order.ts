/**
 * Orderings the contract names ("by name", "by bed"), done in JavaScript so SQLite and
 * PostgreSQL (whose collations differ) give the same order. Numeric-aware, so "Bed 9" comes
 * before "Bed 10"; ties broken by id.
 */
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });

export function compareText(a: string, b: string): number {
  return collator.compare(a, b);
}

export function byName<T extends { name: string; id: number }>(a: T, b: T): number {
  return compareText(a.name, b.name) || a.id - b.id;
}

/** Parses a GraphQL ID into a row id; null for anything that cannot be one. */
export function parseId(id: string | number): number | null {
  const s = String(id);
  if (!/^[1-9][0-9]{0,14}$/.test(s)) return null;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : null;
}
