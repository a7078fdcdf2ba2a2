import { Admission } from '../../src/modules/admission/admission.entity';
import { Patient } from '../../src/modules/patient/patient.entity';
import { Tag } from '../../src/modules/tag/tag.entity';
import { Ward } from '../../src/modules/ward/ward.entity';
import { loadContractOperations } from '../../src/contract/operations';
import { seedDatabase } from '../../src/seed/seed';
import type { TestGateway } from './gateway';

export const OPS = loadContractOperations();
export const op = (name: string): string => {
  const text = OPS.get(name);
  if (!text) throw new Error(`no contract operation ${name}`);
  return text;
};

/** Ids in hospital 1 of a small seeded data set that the cache tests write to. */
export interface CacheFixture {
  inpatient: { patientId: string; admissionId: string; wardId: string; bed: string };
  outpatient: string;
  /** A ward with a free bed, and that bed's label. */
  freeWard: { wardId: string; bed: string };
  /** A tag the inpatient does not carry. */
  tagId: string;
}

export async function seedForCache(t: TestGateway): Promise<CacheFixture> {
  await seedDatabase(t.gateway.orm, { hospitals: 2, wards: 3, patients: 120, events: 3, seed: 5, now: new Date() });
  const em = t.gateway.orm.em.fork();
  const admission = await em.findOneOrFail(Admission, { hospital: 1, dischargedAt: null }, { orderBy: { id: 'asc' } });
  const outpatient = await em.findOneOrFail(Patient, { hospital: 1, status: 'OUTPATIENT' }, { orderBy: { id: 'asc' } });
  const wards = await em.find(Ward, { hospital: 1 }, { orderBy: { id: 'asc' } });
  const taken = new Set((await em.find(Admission, { hospital: 1, dischargedAt: null })).map((a) => `${a.ward.id}|${a.bed}`));
  const ward = wards.find((w) => w.id !== admission.ward.id) ?? wards[0];
  let bed = '';
  for (let i = 1; !bed; i++) if (!taken.has(`${ward.id}|Bed 9${i}Z`)) bed = `Bed 9${i}Z`;
  const patient = await em.findOneOrFail(Patient, admission.patient.id, { populate: ['tags'] });
  const tags = await em.find(Tag, { hospital: 1 }, { orderBy: { id: 'asc' } });
  const tag = tags.find((x) => !patient.tags.contains(x)) ?? tags[0];
  return {
    inpatient: { patientId: String(patient.id), admissionId: String(admission.id), wardId: String(admission.ward.id), bed: admission.bed },
    outpatient: String(outpatient.id),
    freeWard: { wardId: String(ward.id), bed },
    tagId: String(tag.id),
  };
}
