/**
 * A real browser runs the cookie flow: headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core) against the example API on each adapter. Login, refresh from page JavaScript, two
 * tabs refreshing at the same moment, reload then silent refresh, logout, then refresh refused; the
 * refresh cookie is never visible to `document.cookie` and never sent outside its path.
 */
import type { SessionEvent } from '@tessera/sessions';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS } from '../src/server.js';
import { ALICE, type App, startApp } from './support/app.js';
import { launchChromium } from './support/chromium.js';

/** What page JavaScript gets back from one same-origin fetch. */
interface PageReply {
  readonly status: number;
  readonly body: Record<string, unknown> | null;
}

/** A fetch run by the page itself (its cookies, its origin, its Sec-Fetch-* headers). */
function pageFetch(
  page: Page,
  path: string,
  init: { method?: string; body?: unknown; bearer?: string } = {},
) {
  return page.evaluate(
    async (target, method, body, bearer): Promise<PageReply> => {
      const headers: Record<string, string> = {};
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (bearer !== undefined) headers['authorization'] = `Bearer ${bearer}`;
      const response = await fetch(target, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>),
      };
    },
    path,
    init.method ?? 'GET',
    init.body,
    init.bearer,
  );
}

const cookieName = '__Secure-tessera-rt';

describe.each(FRAMEWORKS)('the cookie flow in Chromium, on %s', (framework) => {
  let app: App;
  let browser: Browser;
  let origin: string;
  const events: SessionEvent[] = [];

  beforeAll(async () => {
    app = await startApp(framework, 'memory', { events: (event) => events.push(event) });
    // localhost is a secure context: the browser accepts the __Secure- cookie over plain HTTP there.
    origin = app.url.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('logs in, refreshes from page JavaScript, survives a reload and two tabs at once, logs out', async () => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.goto(`${origin}/open`);

    const login = await pageFetch(page, '/login', { method: 'POST', body: ALICE });
    expect(login.status).toBe(200);
    const firstToken = String(login.body?.access_token);

    // The refresh cookie: HttpOnly (invisible to page scripts), Secure, SameSite=Strict, scoped to /auth/token.
    expect(await page.evaluate(() => document.cookie)).not.toContain('tessera');
    const [cookie] = (await page.cookies(`${origin}/auth/token/refresh`)).filter(
      (c) => c.name === cookieName,
    );
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/auth/token' });
    // Never sent outside its path: the browser attaches it to no API or page URL.
    for (const outside of ['/api/orders', '/open', '/auth/sessions', '/']) {
      expect((await page.cookies(`${origin}${outside}`)).map((c) => c.name)).not.toContain(cookieName);
    }
    expect((await pageFetch(page, '/api/orders', { bearer: firstToken })).status).toBe(200);

    // Refresh from page JavaScript: the browser sends the cookie itself.
    const refreshed = await pageFetch(page, '/auth/token/refresh', { method: 'POST' });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body?.access_token).not.toBe(firstToken);

    // Reload, then a silent refresh: the cookie outlives the page.
    await page.reload();
    const silent = await pageFetch(page, '/auth/token/refresh', { method: 'POST' });
    expect(silent.status).toBe(200);
    expect((await pageFetch(page, '/api/orders', { bearer: String(silent.body?.access_token) })).status).toBe(
      200,
    );

    // Two tabs refresh at the same moment: both succeed (a retry within the grace window), one successor.
    const other = await context.newPage();
    await other.goto(`${origin}/open`);
    const [a, b] = await Promise.all([
      pageFetch(page, '/auth/token/refresh', { method: 'POST' }),
      pageFetch(other, '/auth/token/refresh', { method: 'POST' }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const after = (await page.cookies(`${origin}/auth/token/refresh`)).filter((c) => c.name === cookieName);
    expect(after).toHaveLength(1);
    const current = String(a.body?.access_token);
    expect((await pageFetch(other, '/api/orders', { bearer: String(b.body?.access_token) })).status).toBe(
      200,
    );

    // Logout: the session ends on the server, the cookie is cleared, a refresh is refused.
    expect((await pageFetch(page, '/auth/token/logout', { method: 'POST' })).status).toBe(204);
    expect((await page.cookies(`${origin}/auth/token/refresh`)).map((c) => c.name)).not.toContain(cookieName);
    expect((await pageFetch(page, '/auth/token/refresh', { method: 'POST' })).status).toBe(401);
    expect((await pageFetch(other, '/auth/token/refresh', { method: 'POST' })).status).toBe(401);
    expect((await pageFetch(page, '/api/orders', { bearer: current })).status).toBe(401);
    await context.close();
  }, 60_000);

  it('a page on another site cannot refresh with the cookie (SameSite=Strict, and the CSRF check)', async () => {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.goto(`${origin}/open`);
    expect((await pageFetch(page, '/login', { method: 'POST', body: ALICE })).status).toBe(200);
    const rotations = () => events.filter((e) => e.type === 'session.rotated').length;
    const before = rotations();
    // 127.0.0.1 is another site than localhost: its page posts to the API with credentials.
    const elsewhere = await context.newPage();
    await elsewhere.goto(`${app.url}/open`);
    const status = await elsewhere.evaluate(async (target) => {
      try {
        const response = await fetch(target, { method: 'POST', credentials: 'include', mode: 'no-cors' });
        return response.type === 'opaque' ? 'opaque' : response.status;
      } catch {
        return 'blocked';
      }
    }, `${origin}/auth/token/refresh`);
    expect(['opaque', 'blocked', 403]).toContain(status);
    // The server rotated nothing for it (the cookie was not sent, or the request was refused).
    expect(rotations()).toBe(before);
    // The cookie still refreshes, from its own site.
    expect((await pageFetch(page, '/auth/token/refresh', { method: 'POST' })).status).toBe(200);
    await context.close();
  }, 60_000);
});
