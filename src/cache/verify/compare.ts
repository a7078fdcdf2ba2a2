/**
 * Fields whose value changes with time, not with data: `updatedAt` (when the numbers were
 * computed) and `admissionDays` (whole days since admission). A recomputation may differ there
 * from a correct cached answer, so they are not compared.
 */
export const TIME_DEPENDENT_FIELDS: ReadonlySet<string> = new Set(['updatedAt', 'admissionDays']);

/**
 * The first path (`wardMapping.wards.3.patients.0.patient.tags`) where two JSON values differ,
 * or null when they agree on everything but the ignored fields.
 */
export function firstDifference(a: unknown, b: unknown, ignore: ReadonlySet<string> = TIME_DEPENDENT_FIELDS, path = ''): string | null {
  if (a === b) return null;
  const here = path || '(root)';
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return here;
  if (Array.isArray(a) !== Array.isArray(b)) return here;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${here} (length ${a.length} vs ${b.length})`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], ignore, path ? `${path}.${i}` : String(i));
      if (d) return d;
    }
    return null;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const key of new Set([...Object.keys(ra), ...Object.keys(rb)])) {
    if (ignore.has(key)) continue;
    const d = firstDifference(ra[key], rb[key], ignore, path ? `${path}.${key}` : key);
    if (d) return d;
  }
  return null;
}
