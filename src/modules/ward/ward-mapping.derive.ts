import { loadContractOperations } from '../../contract/operations';
import { parseId } from '../shared/order';

/**
 * A filtered ward map is a part of the whole one: the listed wards (wardIds), in each only the
 * patients carrying one of tagIds and whose name contains the search, with the totals recounted
 * and every ward's utilisation unchanged (it never depends on patient filters). So the cache
 * answers the contract's WardMapping with a filter from the cached unfiltered answer, when it
 * has one, instead of the database: under steady writes a filtered map, requested by a few users
 * each, is evicted long before it is asked for again, while the whole map is kept hot.
 *
 * Exactly what loadWardMapping computes (src/modules/ward/ward-mapping.query.ts), from the
 * contract's selection of it, which shows every field the filters need. The cache's self-check
 * recomputes sampled derived answers from the database and compares them byte for byte.
 */
interface Tag {
  id: string;
}
interface Entry {
  ward: { id: string };
  patientCount: number;
  patients: Array<{ patient: { name: string }; tags: Tag[] }>;
}
interface WardMap {
  totalPatients: number;
  totalWards: number;
  wards: Entry[];
}

interface Filter {
  wardIds?: readonly (string | number)[] | null;
  tagIds?: readonly (string | number)[] | null;
  search?: string | null;
}

const fold = (text: string) => text.normalize('NFC').toLocaleLowerCase();
const idSet = (list: readonly (string | number)[] | null | undefined): Set<number> | null =>
  list == null ? null : new Set(list.map(parseId).filter((n): n is number => n !== null));

export function filterWardMapping(whole: WardMap, filter: Filter): WardMap {
  const wardIds = idSet(filter.wardIds);
  const tagIds = idSet(filter.tagIds);
  const search = filter.search?.trim() ? fold(filter.search.trim()) : null;
  const listsPatients = !tagIds || tagIds.size > 0;
  let totalPatients = 0;
  const wards: Entry[] = [];
  for (const entry of whole.wards) {
    if (wardIds && !wardIds.has(Number(entry.ward.id))) continue;
    const patients = !listsPatients
      ? []
      : entry.patients.filter((p) => (!tagIds || p.tags.some((t) => tagIds.has(Number(t.id)))) && (!search || fold(p.patient.name).includes(search)));
    totalPatients += patients.length;
    // Spread keeps the keys in the order the answer was serialised in.
    wards.push({ ...entry, patientCount: patients.length, patients });
  }
  return { ...whole, totalPatients, totalWards: wards.length, wards };
}

/** The cache's derivation (see CacheOptions.derivations): the contract's WardMapping with a filter. */
export function wardMappingDerivation() {
  const operationName = 'WardMapping';
  return {
    base: { query: loadContractOperations().get(operationName) as string, operationName },
    /** The unfiltered answer's variables, or null when these need no derivation (no filter). */
    applies: (variables: Record<string, unknown> | null | undefined): boolean => variables?.filter != null,
    derive(baseData: unknown, variables: Record<string, unknown>): unknown {
      const data = baseData as { wardMapping: WardMap };
      return { wardMapping: filterWardMapping(data.wardMapping, variables.filter as Filter) };
    },
  };
}
