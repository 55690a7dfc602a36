import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

/** The demo's user directory: scrypt password hashes and roles, in memory. */
export interface User {
  readonly id: string;
  readonly role: 'customer' | 'admin';
}

interface Stored {
  readonly id: string;
  role: User['role'];
  salt: Buffer;
  hash: Buffer;
}

const hashOf = (password: string, salt: Buffer) => scryptSync(password, salt, 32, { N: 1024 });

export function createUsers(seed: Record<string, { password: string; role: User['role'] }>) {
  const users = new Map<string, Stored>();
  const set = (name: string, password: string, role: User['role']) => {
    const salt = randomBytes(16);
    users.set(name, { id: name, role, salt, hash: hashOf(password, salt) });
  };
  for (const [name, { password, role }] of Object.entries(seed)) set(name, password, role);
  return {
    /** The user, when the password matches (compared in constant time). */
    authenticate(name: unknown, password: unknown): User | undefined {
      if (typeof name !== 'string' || typeof password !== 'string') return undefined;
      const user = users.get(name);
      if (user === undefined) return undefined;
      return timingSafeEqual(hashOf(password, user.salt), user.hash)
        ? { id: user.id, role: user.role }
        : undefined;
    },
    changePassword(name: string, password: string): void {
      const user = users.get(name);
      if (user !== undefined) set(name, password, user.role);
    },
    setRole(name: string, role: User['role']): void {
      const user = users.get(name);
      if (user !== undefined) user.role = role;
    },
    roleOf(name: string): User['role'] | undefined {
      return users.get(name)?.role;
    },
  };
}

export type Users = ReturnType<typeof createUsers>;
