/**
 * Word lists of the seed, copied from the reference generator (../shared/dataset/
 * reference-generator.mjs). Order matters: `pick` indexes into them, so changing a list (or its
 * order) changes every seeded row and breaks the equality with the reference data set.
 */

export interface Specialty {
  name: string;
  abbreviation: string;
}

/** Ward i of a hospital is SPECIALTIES[i % 20], followed by a letter (and a round number). */
export const SPECIALTIES: readonly Specialty[] = [
  { name: 'Cardiology', abbreviation: 'CARD' },
  { name: 'Neurology', abbreviation: 'NEUR' },
  { name: 'Oncology', abbreviation: 'ONC' },
  { name: 'Orthopedics', abbreviation: 'ORTH' },
  { name: 'Pediatrics', abbreviation: 'PED' },
  { name: 'Geriatrics', abbreviation: 'GER' },
  { name: 'Maternity', abbreviation: 'MAT' },
  { name: 'Surgery', abbreviation: 'SURG' },
  { name: 'Intensive Care', abbreviation: 'ICU' },
  { name: 'Respiratory', abbreviation: 'RESP' },
  { name: 'Nephrology', abbreviation: 'NEPH' },
  { name: 'Gastroenterology', abbreviation: 'GAST' },
  { name: 'Hematology', abbreviation: 'HEM' },
  { name: 'Infectious Diseases', abbreviation: 'ID' },
  { name: 'Psychiatry', abbreviation: 'PSY' },
  { name: 'Rehabilitation', abbreviation: 'REHB' },
  { name: 'Urology', abbreviation: 'URO' },
  { name: 'Dermatology', abbreviation: 'DERM' },
  { name: 'Endocrinology', abbreviation: 'ENDO' },
  { name: 'General Medicine', abbreviation: 'GMED' },
];

export interface TagName {
  name: string;
  /** `#rrggbb` */
  color: string;
}

/** Every hospital gets all of these, in this order. */
export const TAG_NAMES: readonly TagName[] = [
  { name: 'Allergy', color: '#dc2626' },
  { name: 'Diabetic', color: '#2563eb' },
  { name: 'DNR', color: '#111827' },
  { name: 'Fall risk', color: '#f59e0b' },
  { name: 'Isolation', color: '#7c3aed' },
  { name: 'NPO', color: '#0891b2' },
  { name: 'Palliative', color: '#db2777' },
  { name: 'Post-op', color: '#16a34a' },
  { name: 'Pressure ulcer risk', color: '#ea580c' },
  { name: 'Sepsis watch', color: '#b91c1c' },
  { name: 'Telemetry', color: '#4f46e5' },
  { name: 'Wandering risk', color: '#65a30d' },
];

export const FIRST_NAMES: readonly string[] = [
  'Alice', 'Amir', 'Anna', 'Aziz', 'Beatriz', 'Ben', 'Carla', 'Chen', 'Clara', 'Daniel', 'Dmitri', 'Elena',
  'Emma', 'Farah', 'Felix', 'Grace', 'Hana', 'Hugo', 'Ines', 'Ivan', 'Jonas', 'Julia', 'Kai', 'Karin',
  'Lars', 'Layla', 'Leo', 'Lina', 'Luca', 'Maria', 'Marta', 'Mateo', 'Mei', 'Nadia', 'Noah', 'Nora',
  'Omar', 'Olga', 'Paul', 'Priya', 'Rafael', 'Rosa', 'Sara', 'Sofia', 'Tariq', 'Theo', 'Uma', 'Victor',
  'Wen', 'Yara', 'Yusuf', 'Zoe',
];

export const LAST_NAMES: readonly string[] = [
  'Adams', 'Alvarez', 'Andersen', 'Bauer', 'Bianchi', 'Brown', 'Costa', 'Dubois', 'Eriksson', 'Fischer',
  'Garcia', 'Hansen', 'Ito', 'Jansen', 'Kaur', 'Kim', 'Kowalski', 'Larsen', 'Lopez', 'Martin', 'Meyer',
  'Moreau', 'Nakamura', 'Nguyen', 'Novak', 'Okafor', 'Olsen', 'Patel', 'Petrov', 'Popescu', 'Quinn',
  'Rossi', 'Santos', 'Schmidt', 'Silva', 'Singh', 'Smith', 'Tanaka', 'Torres', 'Varga', 'Wagner',
  'Weber', 'Wong', 'Yilmaz', 'Zhang', 'Ziegler',
];

export const EVENT_KINDS = ['vitals', 'medication', 'lab_result', 'note', 'imaging', 'consult'] as const;
