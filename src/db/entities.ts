import { AdmissionSchema } from '../modules/admission/admission.entity';
import { ClinicalEventSchema } from '../modules/event/event.entity';
import { HospitalSchema } from '../modules/hospital/hospital.entity';
import { PatientSchema } from '../modules/patient/patient.entity';
import { TagSchema } from '../modules/tag/tag.entity';
import { WardSchema } from '../modules/ward/ward.entity';

/** Every entity the ORM knows, listed explicitly (no folder discovery, no reflection). */
export const entities = [
  HospitalSchema,
  WardSchema,
  TagSchema,
  PatientSchema,
  AdmissionSchema,
  ClinicalEventSchema,
];
