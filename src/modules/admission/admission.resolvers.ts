import type { Resolvers } from '../../graphql/generated/resolvers-types';
import { principalOf } from '../../graphql/context';
import { admitPatient, dischargePatient, transferPatient } from './admission.service';

export const admissionResolvers: Resolvers = {
  Mutation: {
    admitPatient: (_, { input }, ctx) => admitPatient(ctx.em, principalOf(ctx).hospitalId, input),
    transferPatient: (_, args, ctx) => transferPatient(ctx.em, principalOf(ctx).hospitalId, args),
    dischargePatient: (_, { admissionId }, ctx) => dischargePatient(ctx.em, principalOf(ctx).hospitalId, admissionId),
  },
  Admission: {
    // Written admissions arrive with their relations loaded; read ones go through the loaders.
    patient: async (admission, _, ctx) => {
      if (admission.patient.isInitialized()) return admission.patient.unwrap();
      const patient = await ctx.loaders.patientById.load(admission.patient.id);
      if (!patient) throw new Error(`Patient ${admission.patient.id} of admission ${admission.id} is missing`);
      return patient;
    },
    ward: async (admission, _, ctx) => {
      if (admission.ward.isInitialized()) return admission.ward.unwrap();
      const ward = await ctx.loaders.wardById.load(admission.ward.id);
      if (!ward) throw new Error(`Ward ${admission.ward.id} of admission ${admission.id} is missing`);
      return ward;
    },
  },
};
