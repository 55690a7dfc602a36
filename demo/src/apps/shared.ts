import type { SessionMeta } from '@tessera/refresh';
import type { DpopPresentation, SessionTokens } from '@tessera/sessions';
import type { Stack } from '../stack.js';

/** Orders of the example API. */
export const ORDERS = [
  { id: 'o-1001', item: 'espresso machine', total: 249 },
  { id: 'o-1002', item: 'grinder', total: 129 },
] as const;

/** The app logic that is the same on every framework: login and password change. */
export function appLogic(stack: Stack) {
  return {
    /**
     * Checks the password; starts a session, bound to the client's DPoP key when the request carries
     * a proof. Undefined when the credentials are wrong.
     */
    async login(
      body: unknown,
      meta: SessionMeta,
      dpop: DpopPresentation | undefined,
    ): Promise<SessionTokens | undefined> {
      const { username, password } = (body ?? {}) as { username?: unknown; password?: unknown };
      const user = stack.users.authenticate(username, password);
      if (user === undefined) return undefined;
      return stack.sessions.login(user.id, dpop === undefined ? { meta } : { meta, dpop });
    },
    /** Re-checks the current password, changes it, ends every other session; the caller's device goes on anew. */
    async changePassword(sub: string, sid: string, body: unknown): Promise<SessionTokens | undefined> {
      const { password, newPassword } = (body ?? {}) as { password?: unknown; newPassword?: unknown };
      if (stack.users.authenticate(sub, password) === undefined || typeof newPassword !== 'string')
        return undefined;
      stack.users.changePassword(sub, newPassword);
      return (await stack.sessions.credentialsChanged(sub, { keep: sid })).kept;
    },
  };
}

export const INVALID_CREDENTIALS = { error: 'invalid_credentials' } as const;
