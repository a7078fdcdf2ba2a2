export type Role = 'viewer' | 'clinician' | 'admin';
export const ROLES: readonly Role[] = ['viewer', 'clinician', 'admin'];

const RANK: Record<Role, number> = { viewer: 0, clinician: 1, admin: 2 };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** viewer < clinician < admin */
export function hasRole(actual: Role, required: Role): boolean {
  return RANK[actual] >= RANK[required];
}
