/** Word lists for the seed command. Order matters: changing a list changes every seeded row. */

export const HOSPITAL_NAMES: readonly string[] = [
  "St Mary's General",
  'Royal Victoria Infirmary',
  'Riverside University Hospital',
  "St Bartholomew's",
  'Queen Elizabeth Memorial',
  'Northgate District General',
  "King's Mill Hospital",
  'Harbourview Medical Centre',
  'Westfield Community Hospital',
  'Mercy Regional',
  "St Luke's Infirmary",
  'Lakeside General',
];

export interface WardName {
  name: string;
  abbreviation: string;
}

export const WARD_NAMES: readonly WardName[] = [
  { name: 'Cardiology', abbreviation: 'CARD' },
  { name: 'Oncology', abbreviation: 'ONC' },
  { name: 'Neurology', abbreviation: 'NEURO' },
  { name: 'Orthopaedics', abbreviation: 'ORTHO' },
  { name: 'Paediatrics', abbreviation: 'PAED' },
  { name: 'Maternity', abbreviation: 'MAT' },
  { name: 'Intensive Care', abbreviation: 'ICU' },
  { name: 'Respiratory', abbreviation: 'RESP' },
  { name: 'Geriatrics', abbreviation: 'GER' },
  { name: 'General Surgery', abbreviation: 'SURG' },
  { name: 'Renal', abbreviation: 'REN' },
  { name: 'Haematology', abbreviation: 'HAEM' },
  { name: 'Gastroenterology', abbreviation: 'GAST' },
  { name: 'Acute Medical Unit', abbreviation: 'AMU' },
  { name: 'Stroke Unit', abbreviation: 'STRK' },
  { name: 'Coronary Care', abbreviation: 'CCU' },
  { name: 'Endocrinology', abbreviation: 'ENDO' },
  { name: 'Urology', abbreviation: 'URO' },
  { name: 'Dermatology', abbreviation: 'DERM' },
  { name: 'Infectious Diseases', abbreviation: 'ID' },
  { name: 'Vascular Surgery', abbreviation: 'VASC' },
  { name: 'Neonatal Unit', abbreviation: 'NNU' },
  { name: 'Psychiatry', abbreviation: 'PSY' },
  { name: 'Rehabilitation', abbreviation: 'REHAB' },
];

export interface TagName {
  name: string;
  /** `#rrggbb` */
  color: string;
}

export const TAG_NAMES: readonly TagName[] = [
  { name: 'Fall risk', color: '#f59e0b' },
  { name: 'Isolation', color: '#8b5cf6' },
  { name: 'DNR', color: '#111827' },
  { name: 'Allergy', color: '#dc2626' },
  { name: 'Diabetic', color: '#2563eb' },
  { name: 'Post-op', color: '#059669' },
  { name: 'Palliative', color: '#db2777' },
  { name: 'Nil by mouth', color: '#ea580c' },
  { name: 'Pressure ulcer risk', color: '#ca8a04' },
  { name: 'Safeguarding', color: '#4f46e5' },
  { name: 'Interpreter needed', color: '#0891b2' },
  { name: 'Sepsis watch', color: '#b91c1c' },
];

export const FIRST_NAMES: readonly string[] = [
  'Oliver', 'Amelia', 'George', 'Isla', 'Harry', 'Ava', 'Noah', 'Mia', 'Jack', 'Ivy',
  'Leo', 'Lily', 'Arthur', 'Isabella', 'Muhammad', 'Rosie', 'Oscar', 'Sophia', 'Charlie', 'Grace',
  'Jacob', 'Freya', 'Thomas', 'Evie', 'Henry', 'Florence', 'William', 'Emily', 'James', 'Poppy',
  'Alfie', 'Ella', 'Theo', 'Willow', 'Joshua', 'Daisy', 'Freddie', 'Sienna', 'Archie', 'Charlotte',
  'Ethan', 'Alice', 'Isaac', 'Matilda', 'Alexander', 'Elsie', 'Samuel', 'Sofia', 'Daniel', 'Ruby',
  'Margaret', 'Patricia', 'Dorothy', 'Joan', 'Barbara', 'Susan', 'Elizabeth', 'Helen', 'Anne', 'Mary',
  'Peter', 'David', 'John', 'Michael', 'Robert', 'Richard', 'Paul', 'Stephen', 'Andrew', 'Brian',
  'Priya', 'Aisha', 'Fatima', 'Mei', 'Yuki', 'Chloe', 'Zara', 'Amira', 'Niamh', 'Siobhan',
  'Rahul', 'Omar', 'Kwame', 'Tomasz', 'Piotr', 'Luca', 'Mateo', 'Hiroshi', 'Declan', 'Rhys',
  'Gwen', 'Eilidh', 'Catriona', 'Bronwen', 'Agnieszka', 'Ingrid', 'Lucia', 'Nadia', 'Esther', 'Ruth',
];

export const LAST_NAMES: readonly string[] = [
  'Smith', 'Jones', 'Williams', 'Taylor', 'Brown', 'Davies', 'Evans', 'Wilson', 'Thomas', 'Johnson',
  'Roberts', 'Robinson', 'Thompson', 'Wright', 'Walker', 'White', 'Edwards', 'Hughes', 'Green', 'Hall',
  'Lewis', 'Harris', 'Clarke', 'Patel', 'Jackson', 'Wood', 'Turner', 'Martin', 'Cooper', 'Hill',
  'Ward', 'Morris', 'Moore', 'Clark', 'Lee', 'King', 'Baker', 'Harrison', 'Morgan', 'Allen',
  'James', 'Scott', 'Phillips', 'Watson', 'Davis', 'Parker', 'Price', 'Bennett', 'Young', 'Griffiths',
  'Mitchell', 'Kelly', 'Cook', 'Carter', 'Richardson', 'Bailey', 'Collins', 'Bell', 'Shaw', 'Murphy',
  'Miller', 'Cox', 'Richards', 'Khan', 'Marshall', 'Anderson', 'Simpson', 'Ellis', 'Adams', 'Singh',
  'Begum', 'Wilkinson', 'Foster', 'Chapman', 'Powell', 'Webb', 'Rogers', 'Gray', 'Mason', 'Ali',
  "O'Brien", 'McDonald', 'MacLeod', 'Campbell', 'Stewart', 'Nowak', 'Kowalski', 'Okafor', 'Mensah', 'Nguyen',
  'Chen', 'Wong', 'Kaur', 'Ahmed', 'Hussain', 'Rossi', 'Fernandes', 'Silva', 'Murray', 'Doyle',
];
