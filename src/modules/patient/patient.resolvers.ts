import type { Resolvers } from '../../graphql/generated/resolvers-types';
import { principalOf } from '../../graphql/context';
import { loadRecentPatients } from '../dashboard/dashboard.query';
import { parseId } from '../shared/order';
import { recordEvent, registerPatient, tagPatient, untagPatient } from './patient.service';

export const patientResolvers: Resolvers = {
  Query: {
    recentPatients: (_, { limit }, ctx) => loadRecentPatients(ctx.em, principalOf(ctx).hospitalId, limit),
    patient: async (_, { id }, ctx) => {
      principalOf(ctx);
      const rowId = parseId(id);
      return rowId === null ? null : ctx.loaders.patientById.load(rowId);
    },
  },
  Mutation: {
    registerPatient: (_, { input }, ctx) => registerPatient(ctx.em, principalOf(ctx).hospitalId, input),
    tagPatient: (_, { patientId, tagId }, ctx) => tagPatient(ctx.em, principalOf(ctx).hospitalId, patientId, tagId),
    untagPatient: (_, { patientId, tagId }, ctx) => untagPatient(ctx.em, principalOf(ctx).hospitalId, patientId, tagId),
    recordEvent: (_, { input }, ctx) => recordEvent(ctx.em, principalOf(ctx).hospitalId, input),
  },
  Patient: {
    // Returned as is when the row came with its tags (the ward map's): no promise per patient.
    tags: (patient, _, ctx) => patient.tags ?? ctx.loaders.tagsByPatient.load(patient.id),
    currentAdmission: (patient, _, ctx) => ctx.loaders.openAdmissionByPatient.load(patient.id),
  },
  ClinicalEvent: {
    // A written event arrives with its patient (as the write left it); otherwise the loader.
    patient: async (event, _, ctx) => {
      if (event.patient) return event.patient;
      const patient = await ctx.loaders.patientById.load(event.patientId);
      if (!patient) throw new Error(`Patient ${event.patientId} of event ${event.id} is missing`);
      return patient;
    },
  },
};
