import fc from 'fast-check';
import { op, seedForCache } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type GqlResult, type TestGateway } from './support/gateway';

/**
 * A filtered ward map is answered from the cached whole map when there is one (a derived hit).
 * It must be exactly the answer the database gives for that filter — every field but the
 * computation time (`updatedAt`, and `admissionDays` that counts from it) — for any filter, and
 * as fresh as the whole map.
 */
type WardMap = {
  wardMapping: {
    updatedAt: string;
    wards: Array<{ ward: { id: string }; patients: Array<{ patient: { id: string; name: string }; admissionDays: number; tags: Array<{ id: string }> }> }>;
  };
};
const cacheOf = (r: GqlResult) => (r.body.extensions as { cache?: { hit: boolean } } | undefined)?.cache;
/** The answer without the fields that say when it was computed. */
function timeless(r: GqlResult<WardMap>): unknown {
  expect(r.body.errors).toBeUndefined();
  const m = structuredClone(r.body.data!.wardMapping) as Partial<WardMap['wardMapping']>;
  delete m.updatedAt;
  for (const w of m.wards ?? []) for (const p of w.patients) (p as Partial<typeof p>).admissionDays = undefined;
  return m;
}

describe('filtered ward maps derived from the cached whole map', () => {
  let t: TestGateway;
  let viewer: string;
  let clinician: string;
  let wardIds: string[];
  let tagIds: string[];
  let names: string[];
  beforeAll(async () => {
    t = await startTestGateway(testConfig(sqliteDatabase()));
    const f = await seedForCache(t);
    [viewer, clinician] = await Promise.all([t.token('viewer'), t.token('clinician')]);
    // A name typed decomposed (e + U+0301), admitted: search folds case and normalisation.
    const registered = await t.gql<{ registerPatient: { id: string } }>(op('RegisterPatient'), { input: { name: 'Chloe\u0301 \u00d6lberg', status: 'OUTPATIENT' } }, clinician);
    const admitted = await t.gql(op('AdmitPatient'), { input: { patientId: registered.body.data!.registerPatient.id, wardId: f.freeWard.wardId, bed: f.freeWard.bed } }, clinician);
    expect(admitted.body.errors).toBeUndefined();
    const whole = (await t.gql<WardMap>(op('WardMapping'), {}, viewer)).body.data!.wardMapping;
    wardIds = whole.wards.map((w) => w.ward.id);
    tagIds = [...new Set(whole.wards.flatMap((w) => w.patients.flatMap((p) => p.tags.map((x) => x.id))))];
    names = whole.wards.flatMap((w) => w.patients.map((p) => p.patient.name));
  });
  afterAll(() => t?.close());

  const purge = () => t.gateway.cache.invalidation.purge(1);
  const map = (filter: unknown) => t.gql<WardMap>(op('WardMapping'), filter === undefined ? {} : { filter }, viewer);

  it('answers any filter exactly as the database does', async () => {
    const id = (pool: () => string[]) => fc.oneof(fc.constantFrom(...pool()), fc.constantFrom('0', '999999', 'x', '-1', '1.5'));
    const filter = fc.record(
      {
        wardIds: fc.option(fc.array(id(() => wardIds), { maxLength: 4 }), { nil: null }),
        tagIds: fc.option(fc.array(id(() => tagIds), { maxLength: 3 }), { nil: null }),
        search: fc.option(
          fc.oneof(
            fc.constantFrom('', '  ', 'ZZZ-nobody', 'chlo\u00e9', 'CHLOE\u0301', '\u00f6l', 'OLB'),
            fc.constantFrom(...names).chain((n) => fc.tuple(fc.nat(n.length), fc.nat(4)).map(([i, len]) => n.slice(i, i + len + 1))),
            fc.constantFrom(...names).map((n) => ` ${n.slice(0, 3).toUpperCase()} `),
          ),
          { nil: null },
        ),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(filter, async (f) => {
        await purge();
        const computed = await map(f); // no whole map cached: from the database
        expect(cacheOf(computed)?.hit).toBe(false);
        await purge();
        await map(undefined); // the whole map, cached
        const derived = await map(f);
        expect(cacheOf(derived)?.hit).toBe(true);
        expect(timeless(derived)).toEqual(timeless(computed));
      }),
      { numRuns: 60 },
    );
  });

  it('is exactly as fresh as the whole map: a write that feeds it is in the very next filtered read', async () => {
    await purge();
    const whole = (await map(undefined)).body.data!.wardMapping;
    const ward = whole.wards.find((w) => w.patients.length > 0)!;
    const patient = ward.patients[0].patient;
    const filter = { wardIds: [ward.ward.id] };
    const before = await map(filter);
    expect(cacheOf(before)?.hit).toBe(true);
    expect(before.body.data!.wardMapping.wards[0].patients.map((p) => p.patient.id)).toContain(patient.id);
    const admission = (await t.gql<{ patient: { currentAdmission: { id: string } } }>(op('Patient'), { id: patient.id }, viewer)).body.data!.patient.currentAdmission;
    const discharged = await t.gql(op('DischargePatient'), { admissionId: admission.id }, clinician);
    expect(discharged.body.errors).toBeUndefined();
    const after = await map(filter);
    expect(after.body.data!.wardMapping.wards[0].patients.map((p) => p.patient.id)).not.toContain(patient.id);
    await map(undefined); // the whole map again: the filtered read after it is derived, and fresh
    const derivedAfter = await map(filter);
    expect(cacheOf(derivedAfter)?.hit).toBe(true);
    expect(timeless(derivedAfter)).toEqual(timeless(after));
  });
});
