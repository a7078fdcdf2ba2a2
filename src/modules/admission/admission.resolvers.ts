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
    // Written admissions arrive with the relations the write loaded; read ones go through the loaders.
    patient: async (admission, _, ctx) => {
      if (admission.patient) return admission.patient;
      const patient = await ctx.loaders.patientById.load(admission.patientId);
      if (!patient) throw new Error(`Patient ${admission.patientId} of admission ${admission.id} is missing`);
      return patient;
    },
    ward: async (admission, _, ctx) => {
      if (admission.ward) return admission.ward;
      const ward = await ctx.loaders.wardById.load(admission.wardId);
      if (!ward) throw new Error(`Ward ${admission.wardId} of admission ${admission.id} is missing`);
      return ward;
    },
  },
};
