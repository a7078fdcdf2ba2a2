import type { Em } from '../../db/orm';
import { BadUserInputError } from '../../errors/errors';
import { ClinicalEvent } from '../event/event.entity';
import { Hospital } from '../hospital/hospital.entity';
import { findOwned, inTransaction, requireText } from '../shared/writes';
import { Tag } from '../tag/tag.entity';
import { eventRow, type ClinicalEventRow } from '../event/event.row';
import { Patient, type PatientStatus } from './patient.entity';
import { patientRow, type PatientRow } from './patient.row';

/** Events may be back-dated freely but not stamped in the future beyond clock skew. */
const FUTURE_SKEW_MS = 5 * 60_000;

/**
 * Writes go through the unit of work (the cache hears of them from its flush) and answer with
 * rows built from the written entities once committed (ids assigned), as reads answer.
 */
export async function registerPatient(em: Em, hospitalId: number, input: { name: string; status: PatientStatus }): Promise<PatientRow> {
  const name = requireText(input.name, 'name', 200);
  const written = await inTransaction(em, 'Patient could not be registered', async (tem) => {
    const patient = tem.create(Patient, { hospital: tem.getReference(Hospital, hospitalId), name, status: input.status });
    return patient;
  });
  return patientRow(written);
}

/** Tagging twice is a no-op, so retries are safe. */
export async function tagPatient(em: Em, hospitalId: number, patientId: string, tagId: string): Promise<PatientRow> {
  const written = await inTransaction(em, 'Tag could not be added', async (tem) => {
    const patient = await findOwned(tem, Patient, 'Patient', patientId, hospitalId);
    const tag = await findOwned(tem, Tag, 'Tag', tagId, hospitalId);
    await patient.tags.init();
    if (!patient.tags.contains(tag)) patient.tags.add(tag);
    return patient;
  });
  return patientRow(written);
}

/** Removing an absent tag is a no-op. */
export async function untagPatient(em: Em, hospitalId: number, patientId: string, tagId: string): Promise<PatientRow> {
  const written = await inTransaction(em, 'Tag could not be removed', async (tem) => {
    const patient = await findOwned(tem, Patient, 'Patient', patientId, hospitalId);
    const tag = await findOwned(tem, Tag, 'Tag', tagId, hospitalId);
    await patient.tags.init();
    if (patient.tags.contains(tag)) patient.tags.remove(tag);
    return patient;
  });
  return patientRow(written);
}

export async function recordEvent(
  em: Em,
  hospitalId: number,
  input: { patientId: string; kind: string; occurredAt?: Date | null },
  now = new Date(),
): Promise<ClinicalEventRow> {
  const kind = requireText(input.kind, 'kind', 100);
  const occurredAt = input.occurredAt ?? now;
  if (occurredAt.getTime() > now.getTime() + FUTURE_SKEW_MS) {
    throw new BadUserInputError('occurredAt must not be in the future', 'occurredAt');
  }
  const written = await inTransaction(em, 'Event could not be recorded', async (tem) => {
    // Locked so two concurrent events cannot both think they are the latest.
    const patient = await findOwned(tem, Patient, 'Patient', input.patientId, hospitalId, { lock: true });
    const event = tem.create(ClinicalEvent, { hospital: tem.getReference(Hospital, hospitalId), patient, kind, occurredAt });
    if (!patient.latestEventAt || patient.latestEventAt.getTime() < occurredAt.getTime()) patient.latestEventAt = occurredAt;
    return event;
  });
  return eventRow(written);
}
