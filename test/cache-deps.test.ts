import { FEEDS, dependencyMap, type DependencyRow } from '../src/cache';
import { loadContractOperations } from '../src/contract/operations';
import { buildTypeSchema } from '../src/graphql/schema';
import { Admission } from '../src/modules/admission/admission.entity';
import { ClinicalEvent } from '../src/modules/event/event.entity';
import { Hospital } from '../src/modules/hospital/hospital.entity';
import { Patient } from '../src/modules/patient/patient.entity';
import { Tag } from '../src/modules/tag/tag.entity';
import { Ward } from '../src/modules/ward/ward.entity';
import { op, seedForCache } from './support/cache-fixture';
import { sqliteDatabase, startTestGateway, testConfig, type GqlResult, type TestGateway } from './support/gateway';

/**
 * The dependency map (src/cache/invalidation/dependency-map.ts): read back from the cache's own
 * declarations and the contract's operations. Checked three ways: exact rows, complete against
 * FEEDS, and against the cache itself (a real write evicts answers of exactly the listed operations).
 */
const MAP = dependencyMap(buildTypeSchema(), loadContractOperations());
const rowOf = (entity: string, change: string, property: string | null = null): DependencyRow => {
  const found = MAP.filter((r) => r.entity === entity && r.change === change && r.property === property);
  expect(found).toHaveLength(1);
  return found[0];
};

describe('dependency map: the declarations, read back', () => {
  it('Patient update of name: itself (core) and every ward map; the operations showing either', () => {
    expect(rowOf('Patient', 'update', 'name')).toEqual({
      entity: 'Patient',
      change: 'update',
      property: 'name',
      evicts: ['Patient (itself, facet core)', 'wardMapping (every answer)'],
      tags: ['Patient:{id}#core', 'Q:wardMapping'],
      // Dashboard's recent patients show names (core) too.
      operations: ['Dashboard', 'WardMapping', 'Patient'],
    });
  });

  it('exact rows for a create, a related facet, a collection, an event and a hospital', () => {
    expect(rowOf('Patient', 'create')).toEqual({
      entity: 'Patient',
      change: 'create',
      property: null,
      evicts: ['dashboardStats (every answer)', 'recentPatients (every answer)', 'patient (answers that were null)'],
      tags: ['Q:dashboardStats', 'Q:recentPatients', 'Q:patient:null'],
      operations: ['Dashboard', 'Patient'],
    });
    expect(rowOf('Admission', 'update', '*')).toEqual({
      entity: 'Admission',
      change: 'update',
      property: '*',
      evicts: ['Admission (itself)', 'Patient (its patient, facet currentAdmission)', 'wardMapping (every answer)'],
      tags: ['Admission:{id}', 'Patient:{patient}#currentAdmission', 'Q:wardMapping'],
      operations: ['WardMapping', 'Patient'],
    });
    expect(rowOf('Patient', 'collection', 'tags')).toEqual({
      entity: 'Patient',
      change: 'collection',
      property: 'tags',
      evicts: ['Patient (itself, facet tags)', 'wardMapping (every answer)'],
      tags: ['Patient:{id}#tags', 'Q:wardMapping'],
      operations: ['WardMapping', 'Patient'],
    });
    expect(rowOf('Patient', 'update', 'latestEventAt').operations).toEqual(['Dashboard', 'Patient']);
    // An event shows only through its patient's latestEventAt, whose own update is a row of its own.
    expect(rowOf('ClinicalEvent', 'create')).toEqual({ entity: 'ClinicalEvent', change: 'create', property: null, evicts: [], tags: [], operations: [] });
    expect(rowOf('Ward', 'update', '*').operations).toEqual(['WardMapping', 'WardFilters', 'Patient']);
    expect(rowOf('Tag', 'create').operations).toEqual(['WardFilters']);
    for (const change of ['create', 'delete'] as const) {
      expect(rowOf('Hospital', change)).toEqual({
        entity: 'Hospital',
        change,
        property: null,
        evicts: ['every answer of the hospital'],
        tags: ['*'],
        operations: ['Dashboard', 'WardMapping', 'WardFilters', 'Patient'],
      });
    }
  });

  it('has one row per FEEDS entry (and only those, plus Hospital), in declaration order', () => {
    const expected: Array<[string, string, string | null]> = [];
    for (const [entity, feeds] of Object.entries(FEEDS)) {
      expected.push([entity, 'create', null], [entity, 'delete', null]);
      for (const p of Object.keys(feeds.update).filter((x) => x !== '*')) expected.push([entity, 'update', p]);
      expected.push([entity, 'update', '*']);
      for (const p of Object.keys(feeds.collections ?? {})) expected.push([entity, 'collection', p]);
    }
    expected.push(['Hospital', 'create', null], ['Hospital', 'delete', null], ['Hospital', 'update', '*']);
    expect(MAP.map((r) => [r.entity, r.change, r.property])).toEqual(expected);
    // Each row's evictions are the FEEDS effects, one line each (no effect dropped or merged).
    for (const r of MAP.filter((x) => x.entity !== 'Hospital')) {
      const feeds = FEEDS[r.entity];
      const effects = r.change === 'create' || r.change === 'delete' ? feeds[r.change] : r.change === 'update' ? feeds.update[r.property!] : feeds.collections![r.property!];
      expect(r.evicts).toHaveLength(effects.length);
    }
  });

  it('names only cached query operations of the contract (no mutation, no admin reads)', () => {
    const named = new Set(MAP.flatMap((r) => r.operations));
    expect([...named].sort()).toEqual(['Dashboard', 'Patient', 'WardFilters', 'WardMapping']);
  });
});

type CacheExt = { hit: boolean };
const hitOf = (r: GqlResult) => (r.body.extensions?.cache as CacheExt | undefined)?.hit;

describe('dependency map against the cache: a real write evicts answers of exactly the listed operations', () => {
  let t: TestGateway;
  let viewer: string;
  let admin: string;
  /** A recent patient (on the dashboard), admitted (on the ward map), with a tag. */
  let patient: { id: number; admissionId: number; wardId: number; tagId: number };
  const NOBODY = '999999';

  beforeAll(async () => {
    t = await startTestGateway(testConfig(sqliteDatabase()));
    await seedForCache(t);
    [viewer, admin] = await Promise.all([t.token('viewer'), t.token('admin')]);
    const dashboard = await t.gql<{ recentPatients: Array<{ id: string }> }>(op('Dashboard'), {}, viewer);
    type Shown = { patient: { id: string; tags: Array<{ id: string }>; currentAdmission: { id: string; ward: { id: string } } | null } };
    for (const { id } of dashboard.body.data!.recentPatients) {
      const shown = (await t.gql<Shown>(op('Patient'), { id }, viewer)).body.data!.patient;
      if (shown.currentAdmission && shown.tags.length) {
        patient = { id: Number(id), admissionId: Number(shown.currentAdmission.id), wardId: Number(shown.currentAdmission.ward.id), tagId: Number(shown.tags[0].id) };
        break;
      }
    }
    expect(patient).toBeDefined();
  });
  afterAll(() => t?.close());

  /** One cached answer of each cached operation, each showing the patient (and a null patient answer). */
  const answers = (): Array<[string, Record<string, unknown>]> => [
    ['Dashboard', {}],
    ['WardMapping', {}],
    ['WardFilters', {}],
    ['Patient', { id: String(patient.id) }],
    ['Patient', { id: NOBODY }],
  ];

  /** Caches every answer, runs the write, and returns the operations whose answers went (contract order). */
  async function evictedBy(write: () => Promise<void>): Promise<string[]> {
    for (const [name, variables] of answers()) {
      await t.gql(op(name), variables, viewer);
      expect(hitOf(await t.gql(op(name), variables, viewer))).toBe(true);
    }
    await write();
    const gone = new Set<string>();
    for (const [name, variables] of answers()) if (hitOf(await t.gql(op(name), variables, viewer)) === false) gone.add(name);
    return ['Dashboard', 'WardMapping', 'WardFilters', 'Patient'].filter((n) => gone.has(n));
  }

  const em = () => t.gateway.orm.em.fork();

  it.each<[string, string, string | null, () => Promise<void>]>([
    [
      'Patient',
      'update',
      'name',
      async () => {
        const e = em();
        (await e.findOneOrFail(Patient, patient.id)).name = 'Renamed Patient';
        await e.flush();
      },
    ],
    [
      'Patient',
      'update',
      'latestEventAt',
      async () => {
        const e = em();
        (await e.findOneOrFail(Patient, patient.id)).latestEventAt = new Date();
        await e.flush();
      },
    ],
    [
      'Patient',
      'collection',
      'tags',
      async () => {
        const e = em();
        const p = await e.findOneOrFail(Patient, patient.id, { populate: ['tags'] });
        p.tags.remove(e.getReference(Tag, patient.tagId));
        await e.flush();
        p.tags.add(e.getReference(Tag, patient.tagId)); // back, for the rows after this one
        await e.flush();
      },
    ],
    [
      'Patient',
      'create',
      null,
      async () => {
        const e = em();
        e.create(Patient, { hospital: e.getReference(Hospital, 1), name: 'New Patient', status: 'OUTPATIENT', latestEventAt: null });
        await e.flush();
      },
    ],
    [
      'Admission',
      'update',
      '*',
      async () => {
        const e = em();
        (await e.findOneOrFail(Admission, patient.admissionId)).bed = 'Bed 77Q';
        await e.flush();
      },
    ],
    [
      'ClinicalEvent',
      'create',
      null,
      async () => {
        const e = em();
        e.create(ClinicalEvent, { hospital: e.getReference(Hospital, 1), patient: e.getReference(Patient, patient.id), kind: 'note', occurredAt: new Date(0) });
        await e.flush();
      },
    ],
    [
      'Ward',
      'update',
      '*',
      async () => {
        const e = em();
        (await e.findOneOrFail(Ward, patient.wardId)).floor += 1;
        await e.flush();
      },
    ],
    [
      'Tag',
      'update',
      '*',
      async () => {
        const e = em();
        (await e.findOneOrFail(Tag, patient.tagId)).color = '#123456';
        await e.flush();
      },
    ],
    [
      'Hospital',
      'update',
      '*',
      async () => {
        const e = em();
        (await e.findOneOrFail(Hospital, 1)).name = 'Renamed Hospital';
        await e.flush();
      },
    ],
  ])('%s %s %s', async (entity, change, property, write) => {
    expect(await evictedBy(write)).toEqual(rowOf(entity, change, property).operations);
  });

  it('cacheDependencies (admin) gives the same rows; other roles are refused', async () => {
    const query = '{ cacheDependencies { entity change property evicts operations } }';
    const res = await t.gql<{ cacheDependencies: unknown[] }>(query, {}, admin);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.cacheDependencies).toEqual(MAP.map(({ entity, change, property, evicts, operations }) => ({ entity, change, property, evicts, operations })));
    const refused = await t.gql(query, {}, viewer);
    expect(refused.body.data ?? null).toBeNull();
    expect(refused.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});
