/**
 * The session-management failure patterns of the developers' brief, each as a named test over real
 * HTTP, on every adapter and on memory and Redis. docs/threat-model.md points here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device } from '../src/client.js';
import { FRAMEWORKS } from '../src/server.js';
import { ALICE, type App, type Store, startApp } from './support/app.js';

const STORES: readonly Store[] = ['memory', 'redis'];

describe.each(FRAMEWORKS.flatMap((framework) => STORES.map((store) => [framework, store] as const)))(
  'failure patterns on %s (%s)',
  (framework, store) => {
    let app: App;
    beforeAll(async () => {
      app = await startApp(framework, store);
    });
    afterAll(() => app.close());

    const device = async (name = 'device') => {
      const d = new Device(app.url, name);
      expect((await d.send('POST', '/login', { body: ALICE })).status).toBe(200);
      return d;
    };
    const works = async (d: Device) => (await d.send('GET', '/api/orders')).status === 200;
    const canRefresh = async (d: Device) => (await d.stolenBy('probe').refresh()).status === 200;

    it('session fixation: a session planted before login is never adopted; login always starts a new one', async () => {
      const attacker = await device('attacker');
      const victim = new Device(app.url, 'victim');
      victim.cookie = { ...attacker.cookie! }; // planted in the victim's browser
      const login = await victim.send('POST', '/login', { body: ALICE });
      expect(login.status).toBe(200);
      expect(victim.cookie?.value).not.toBe(attacker.cookie?.value);
      const ids = [attacker.cookie!.value.split('.')[2], victim.cookie!.value.split('.')[2]];
      expect(ids[0]).not.toBe(ids[1]);
      // The attacker's copy leads to the attacker's own session, never to the victim's.
      const sessions = (await victim.send('GET', '/auth/sessions')).body!.sessions as {
        id: string;
        current: boolean;
      }[];
      expect(sessions.find((s) => s.current)?.id).toBe(ids[1]);
    });

    it('logout that only clears the cookie: after logout the server refuses the access token and any copy of the refresh token', async () => {
      const d = await device();
      const copy = d.stolenBy('copy');
      expect((await d.logout()).status).toBe(204);
      expect(d.cookie).toBeUndefined();
      expect(await works(copy)).toBe(false);
      expect((await copy.refresh()).status).toBe(401);
    });

    it('session surviving a password change: every other device is out, access and refresh', async () => {
      const phone = await device('phone');
      const browser = await device('browser');
      const changed = await browser.send('POST', '/api/password', {
        body: { password: ALICE.password, newPassword: ALICE.password },
      });
      expect(changed.status).toBe(200);
      expect(await works(phone)).toBe(false);
      expect(await canRefresh(phone)).toBe(false);
      expect(await works(browser)).toBe(true);
      expect(await canRefresh(browser)).toBe(true);
    });

    it('token in the URL: refused on the API and on the refresh endpoint', async () => {
      const d = await device();
      expect(
        (await d.send('GET', `/api/orders?access_token=${d.accessToken}`, { bearer: false })).status,
      ).toBe(400);
      expect(
        (await d.send('POST', `/auth/token/refresh?refresh_token=${d.cookie!.value}`, { bearer: false }))
          .status,
      ).toBe(400);
    });

    it('two mechanisms at once: a bearer header with a token cookie is refused', async () => {
      const d = await device();
      const r = await d.send('GET', '/api/orders', { headers: { cookie: `access_token=${d.accessToken}` } });
      expect(r.status).toBe(400);
    });

    it('two methods at once: a bearer header with a form-encoded access_token is refused, and so is the form alone', async () => {
      const d = await device();
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      const both = await d.send('POST', '/api/password', {
        headers: form,
        raw: `access_token=${d.accessToken}`,
      });
      // Fastify without a form parser refuses the body itself (415) before any handler sees it.
      const refused = framework === 'fastify' ? 415 : 400;
      expect(both.status).toBe(refused);
      const alone = await d.send('POST', '/api/password', {
        headers: form,
        raw: `access_token=${d.accessToken}`,
        bearer: false,
      });
      expect(alone.status).toBe(refused);
    });

    it('one credential per refresh: an Authorization header beside the refresh token is refused', async () => {
      const d = await device();
      const r = await d.send('POST', '/auth/token/refresh', { bearer: true });
      expect(r.status).toBe(400);
      expect((await d.refresh()).status).toBe(200);
    });

    describe('replay after every kind of revocation', () => {
      const kinds: [string, (d: Device, other: Device) => Promise<unknown>, { refreshSurvives?: boolean }][] =
        [
          ['logout', (d) => d.logout(), {}],
          ['logout everywhere', (_d, other) => other.send('POST', '/auth/logout-everywhere'), {}],
          [
            'revoke one device (devices page)',
            async (d, other) => {
              const list = (await other.send('GET', '/auth/sessions')).body!.sessions as { id: string }[];
              const sid = d.cookie!.value.split('.')[2];
              expect(list.some((s) => s.id === sid)).toBe(true);
              return other.send('DELETE', `/auth/sessions/${sid}`);
            },
            {},
          ],
          [
            'password change',
            (_d, other) =>
              other.send('POST', '/api/password', {
                body: { password: ALICE.password, newPassword: ALICE.password },
              }),
            {},
          ],
          [
            'reuse detected',
            async (d) => {
              const thief = d.stolenBy('thief');
              await d.refresh();
              await d.refresh();
              const old = d.accessToken;
              const reply = await thief.refresh();
              d.accessToken = old;
              return reply;
            },
            {},
          ],
          ['user revoked by an incident responder', () => app.stack.denylist.revokeUser('alice'), {}],
          [
            'privilege change (access tokens only)',
            () => app.stack.sessions.privilegesChanged('alice'),
            { refreshSurvives: true },
          ],
        ];
      it.each(kinds)('%s', async (_, revoke, { refreshSurvives }) => {
        const d = await device('target');
        const other = await device('other');
        const copy = d.stolenBy('copy');
        expect(await works(copy)).toBe(true);
        await revoke(d, other);
        expect(await works(copy)).toBe(false);
        expect(await canRefresh(copy)).toBe(refreshSurvives === true);
      });
    });
  },
);
