import { op, seedForCache } from './support/cache-fixture';
import { startTestGateway, testConfig, type TestGateway } from './support/gateway';
import { describeWith, freshPostgresDatabase } from './support/services';

/**
 * An answer is read from one snapshot of the database: the ward map's statements (wards, bed
 * counts, admitted patients, their tags) see the same committed state, so no answer shows a
 * combination that never existed — here, an admitted patient without the tag it carried all
 * along, because it was discharged between the statement that listed it and the one that read
 * the tags of the admitted.
 */
type WardMap = { wardMapping: { wards: Array<{ patients: Array<{ patient: { id: string }; tags: Array<{ id: string }> }> }> } };

describeWith('PostgreSQL')('answers come from one snapshot (PostgreSQL)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway(testConfig({ kind: 'postgresql', url: await freshPostgresDatabase('wardcache_snapshot') }));
  });
  afterAll(() => t?.close());

  it('a patient admitted and discharged over and over is never listed without the tag it keeps', async () => {
    const f = await seedForCache(t);
    const [clinician, viewer] = await Promise.all([t.token('clinician'), t.token('viewer')]);
    const patientId = f.outpatient;
    const ok = <T>(r: { body: { data?: T | null; errors?: unknown } }): T => {
      expect(r.body.errors).toBeUndefined();
      return r.body.data as T;
    };
    ok(await t.gql(op('TagPatient'), { patientId, tagId: f.tagId }, clinician));
    const expectedTags = JSON.stringify(
      (ok(await t.gql<{ patient: { tags: Array<{ id: string }> } }>(op('Patient'), { id: patientId }, viewer)).patient.tags).map((x) => x.id),
    );

    let writing = true;
    let cycles = 0;
    const writer = (async () => {
      while (writing) {
        const admitted = ok(await t.gql<{ admitPatient: { id: string } }>(op('AdmitPatient'), { input: { patientId, wardId: f.freeWard.wardId, bed: f.freeWard.bed } }, clinician));
        ok(await t.gql(op('DischargePatient'), { admissionId: admitted.admitPatient.id }, clinician));
        cycles += 1;
      }
    })();
    const seen: string[] = [];
    // Each reader repeats the ward id a different number of times: the same answer under its
    // own cache key, so every reader computes its own after each write.
    const reader = async (n: number) => {
      const wardIds = Array.from({ length: n + 1 }, () => f.freeWard.wardId);
      while (writing) {
        const map = ok(await t.gql<WardMap>(op('WardMapping'), { filter: { wardIds } }, viewer));
        for (const w of map.wardMapping.wards) {
          for (const p of w.patients) if (p.patient.id === patientId) seen.push(JSON.stringify(p.tags.map((x) => x.id)));
        }
      }
    };
    const readers = Promise.all(Array.from({ length: 6 }, (_, n) => reader(n)));
    await new Promise((r) => setTimeout(r, 4000));
    writing = false;
    await Promise.all([writer, readers]);
    expect(cycles).toBeGreaterThan(10);
    expect(seen.length).toBeGreaterThan(10);
    expect(seen.filter((tags) => tags !== expectedTags)).toEqual([]);
  }, 30_000);
});
