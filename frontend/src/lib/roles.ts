// Roles are ordered (schema enum Role): each can do what those below it can.
export type Role = 'VIEWER' | 'ANALYST' | 'ADMIN';
const RANK: Record<Role, number> = { VIEWER: 0, ANALYST: 1, ADMIN: 2 };

/** roleAtLeast reports whether `have` may do what needs `need`; an unknown role may do nothing. */
export function roleAtLeast(have: string | null | undefined, need: Role): boolean {
  if (!have || !(have in RANK)) return false;
  return RANK[have as Role] >= RANK[need];
}

/** needRoleMessage explains why a control is disabled. */
export function needRoleMessage(have: string | null | undefined, need: Role): string {
  return `Needs the ${need.toLowerCase()} role; your key is ${have ? have.toLowerCase() : 'unknown'}.`;
}
