import { createDpopKey } from '@tessera/client';
import type { SessionEvent } from '@tessera/sessions';
import { Device, type Reply } from './client.js';
import { DEMO_USERS } from './stack.js';

/** One request of the walkthrough, with the status it must get. */
export interface Check {
  readonly step: string;
  readonly request: string;
  readonly status: number;
  readonly expected: number;
  readonly ok: boolean;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  503: 'Service Unavailable',
};

/** What the defender saw during one step: the lifecycle events the server emitted. */
export interface DefenderScreen {
  readonly step: string;
  readonly events: readonly SessionEvent[];
}

/** The walkthrough's result: every request's check, and the defender's screen of every step. */
export interface WalkthroughResult {
  readonly checks: readonly Check[];
  readonly defender: readonly DefenderScreen[];
}

/** One event as the defender's screen shows it: ids, reasons, the client, fingerprints; never a token. */
export function describeEvent(event: SessionEvent): string {
  const parts: string[] = [event.type];
  const e = event as unknown as Partial<Record<string, unknown>>;
  if (typeof e['sub'] === 'string') parts.push(`sub=${e['sub']}`);
  // The random end of a session id (its start is the user's tag, the same for all of a user's sessions).
  if (typeof e['sessionId'] === 'string') parts.push(`session=…${e['sessionId'].slice(-8)}`);
  for (const key of ['reason', 'changed', 'kind', 'category', 'generation', 'epoch', 'decision'] as const) {
    if (e[key] !== undefined) parts.push(`${key}=${String(e[key])}`);
  }
  const client = (e['client'] ?? e['meta']) as { ip?: string; userAgent?: string } | undefined;
  if (client?.ip !== undefined || client?.userAgent !== undefined)
    parts.push(`from ${client.ip ?? '?'} "${client.userAgent ?? ''}"`);
  if (typeof e['fingerprint'] === 'string') parts.push(`token#${e['fingerprint']}`);
  return parts.join('  ');
}

/** What the walkthrough talks to and reports through. */
export interface WalkthroughOptions {
  /** Where each line of the narration goes. Default: nowhere. */
  readonly log?: (line: string) => void;
  /** The server's events since the last call: each step then shows the defender's screen. */
  readonly drain?: () => readonly SessionEvent[];
  /** The reports service (verify only): the scenes that show revocation reaching a second service. */
  readonly reportsUrl?: string;
  /** The public origin of the server's DPoP option: the DPoP-bound theft scene (4b) runs with it. */
  readonly dpopOrigin?: string;
}

/**
 * The narrated walkthrough: every step is real HTTP against the example API at `baseUrl`, and every
 * request states the status it must get. With `drain` (the server's events since the last call),
 * each step also shows the defender's screen: the lifecycle events it caused. Returns the checks and
 * the screens (the tests assert them all).
 */
export async function walkthrough(
  baseUrl: string,
  options: WalkthroughOptions = {},
): Promise<WalkthroughResult> {
  const { log = () => {}, drain, reportsUrl, dpopOrigin } = options;
  const checks: Check[] = [];
  const defender: DefenderScreen[] = [];
  let current = '';
  const showDefender = () => {
    if (drain === undefined || current === '') return;
    const events = drain();
    defender.push({ step: current, events });
    if (events.length === 0) return;
    log('   defender sees:');
    for (const event of events) log(`     ⚑ ${describeEvent(event)}`);
  };
  const step = (title: string, story: string) => {
    showDefender();
    current = title;
    log('');
    log(`── ${title} ${'─'.repeat(Math.max(3, 72 - title.length))}`);
    for (const line of story.split('\n')) log(`   ${line}`);
  };
  const expect = async (
    label: string,
    expected: number,
    call: Promise<Reply>,
    note?: (r: Reply) => string,
  ) => {
    const reply = await call;
    const ok = reply.status === expected;
    checks.push({ step: current, request: label, status: reply.status, expected, ok });
    const mark = ok ? '✓' : `✗ expected ${expected}`;
    log(
      `   ${mark} ${label} → ${reply.status} ${STATUS_TEXT[reply.status] ?? ''}${note ? `: ${note(reply)}` : ''}`,
    );
    return reply;
  };
  const error = (r: Reply) => {
    const challenge = r.headers.get('www-authenticate');
    return `${String(r.body?.error ?? '')}${challenge ? ` (WWW-Authenticate: ${challenge})` : ''}`;
  };
  const alice = { username: 'alice', password: DEMO_USERS.alice.password };

  step(
    '1. Login',
    'alice signs in on her laptop. A session starts: a 15-minute access token in the\nbody, the refresh token in an HttpOnly, Secure, SameSite=Strict cookie scoped to /auth/token.',
  );
  const laptop = new Device(baseUrl, 'laptop');
  await expect(
    'POST /login (alice, laptop)',
    200,
    laptop.send('POST', '/login', { body: alice }),
    (r) =>
      `access token for ${String(r.body?.session_id).slice(0, 8)}…, expires_in ${String(r.body?.expires_in)} s, Cache-Control: ${r.headers.get('cache-control')}`,
  );

  step('2. Call the API', 'The access token goes in the Authorization header, and only there.');
  await expect(
    'GET /api/orders',
    200,
    laptop.send('GET', '/api/orders'),
    (r) => `${(r.body?.orders as unknown[] | undefined)?.length ?? 0} orders`,
  );
  await expect(
    'POST /api/orders (needs orders:write)',
    403,
    laptop.send('POST', '/api/orders', { body: {} }),
    error,
  );
  // A second service (the reports API) verifies through the auth server's JWK Set and follows its denylist.
  const reports = (holder: Device) => {
    const device = new Device(reportsUrl ?? '', holder.name);
    device.accessToken = holder.accessToken;
    return device.send('GET', '/api/reports');
  };
  if (reportsUrl !== undefined) {
    await expect(
      'GET /api/reports at the reports service',
      200,
      reports(laptop),
      () => 'a second service, its keys from /.well-known/jwks.json',
    );
  }
  await expect(
    'GET /api/orders with no token',
    401,
    laptop.send('GET', '/api/orders', { bearer: false }),
    error,
  );
  await expect(
    'GET /api/orders?access_token=… (token in the URL)',
    400,
    laptop.send('GET', `/api/orders?access_token=${laptop.accessToken}`, { bearer: false }),
    error,
  );

  step('3. Refresh', 'The laptop rotates its refresh token: a new pair, the old refresh token is spent.');
  const stolen = laptop.stolenBy('attacker'); // malware copies the cookie jar now, before the rotation
  await expect(
    'POST /auth/token/refresh',
    200,
    laptop.refresh(),
    () => 'new access token, new refresh cookie',
  );
  await expect('POST /auth/token/refresh (again, later)', 200, laptop.refresh(), () => 'generation 2');

  step(
    '4. A stolen refresh token is replayed',
    "The attacker copied the laptop's first refresh token and its access token. Presenting a spent\nrefresh token is proof of theft: the whole session is revoked, and every access token of it dies\nat once, the one the attacker holds included.",
  );
  stolen.accessToken = laptop.accessToken; // and the laptop's current access token
  await expect('POST /auth/token/refresh (attacker, spent token)', 401, stolen.refresh(), error);
  await expect(
    'GET /api/orders (attacker, stolen access token)',
    401,
    stolen.send('GET', '/api/orders'),
    error,
  );
  if (reportsUrl !== undefined) {
    // The revocation reaches the other service through the Redis log (or the shared memory
    // denylist): asked until it refuses, at most one second, and the wait is shown.
    let reply = await reports(stolen);
    const started = performance.now();
    let retries = 0;
    while (reply.status === 200 && performance.now() - started < 1000) {
      reply = await reports(stolen);
      retries += 1;
    }
    const waited = performance.now() - started;
    await expect(
      'GET /api/reports at the reports service (attacker, stolen access token)',
      401,
      Promise.resolve(reply),
      (r) =>
        `${error(r)}; ${retries === 0 ? 'refused at the first request' : `refused after ${waited.toFixed(1)} ms (${retries} retries)`}`,
    );
  }
  await expect('GET /api/orders (laptop)', 401, laptop.send('GET', '/api/orders'), error);
  await expect(
    'POST /auth/token/refresh (laptop)',
    401,
    laptop.refresh(),
    () => 'the session is over: log in again',
  );

  if (dpopOrigin !== undefined) {
    step(
      '4b. The same theft, against a DPoP-bound session',
      "alice's phone app holds a DPoP key that cannot be read out (RFC 9449). Its session and every\naccess token are bound to that key, and each request carries a proof signed with it. Malware\ncopies both tokens, as in scene 4: without the key they are refused at once, everywhere, and the\nattempt ends the session.",
    );
    const app = new Device(baseUrl, 'phone-app').useDpop(await createDpopKey(), dpopOrigin);
    await expect(
      'POST /login (alice, phone app, with a DPoP proof)',
      200,
      app.send('POST', '/login', { body: alice }),
      (r) => `token_type ${String(r.body?.token_type)}: bound to the app's key`,
    );
    await expect('GET /api/orders (phone app, token + proof)', 200, app.send('GET', '/api/orders'));
    const thief = app.stolenBy('attacker'); // both tokens, never the key
    thief.tokenType = 'Bearer';
    await expect(
      'GET /api/orders (attacker, the stolen token as a bearer token)',
      401,
      thief.send('GET', '/api/orders'),
      error,
    );
    if (reportsUrl !== undefined) {
      await expect(
        'GET /api/reports at the reports service (attacker, stolen bound token)',
        401,
        reports(thief),
        error,
      );
    }
    thief.useDpop(await createDpopKey(), dpopOrigin).tokenType = 'DPoP';
    await expect(
      "GET /api/orders (attacker, with a proof by the attacker's own key)",
      401,
      thief.send('GET', '/api/orders'),
      error,
    );
    await expect(
      "POST /auth/token/refresh (attacker, stolen refresh cookie, the attacker's key)",
      401,
      thief.refresh(),
      (r) => `${error(r)}: a genuine token without its key is theft, the session ends`,
    );
    await expect('GET /api/orders (phone app)', 401, app.send('GET', '/api/orders'), error);
    await expect(
      'POST /auth/token/refresh (phone app)',
      401,
      app.refresh(),
      () => 'the session is over: the app signs in again',
    );
  }

  step(
    '5. Two tabs refresh at the same moment',
    'Both tabs share one refresh cookie and send it at once. The second request is an\nidempotent retry within the grace window: both get the same successor, nobody is logged out.',
  );
  const tab1 = new Device(baseUrl, 'tab');
  await expect('POST /login (alice, browser)', 200, tab1.send('POST', '/login', { body: alice }));
  const tab2 = tab1.stolenBy('tab-2');
  const [a, b] = await Promise.all([tab1.refresh(), tab2.refresh()]);
  for (const [name, reply] of [
    ['tab 1', a],
    ['tab 2', b],
  ] as const) {
    await expect(`POST /auth/token/refresh (${name})`, 200, Promise.resolve(reply!));
  }
  log(
    `   both tabs now hold the same refresh cookie: ${tab1.cookie?.value === tab2.cookie?.value ? 'yes' : 'NO'}`,
  );
  await expect('GET /api/orders (tab 1)', 200, tab1.send('GET', '/api/orders'));
  await expect('GET /api/orders (tab 2)', 200, tab2.send('GET', '/api/orders'));
  await expect('POST /auth/token/refresh (tab 1, next rotation)', 200, tab1.refresh());

  step(
    '6. Password change',
    'alice also uses her phone. She changes her password in the browser: every other\nsession ends and every older access token dies; the browser goes on in a fresh session.',
  );
  const phone = new Device(baseUrl, 'phone');
  await expect('POST /login (alice, phone)', 200, phone.send('POST', '/login', { body: alice }));
  await expect(
    'GET /auth/sessions (devices page)',
    200,
    tab1.send('GET', '/auth/sessions'),
    (r) => `${(r.body?.sessions as unknown[] | undefined)?.length ?? 0} live sessions`,
  );
  const newPassword = 'a much better passphrase';
  await expect(
    'POST /api/password',
    200,
    tab1.send('POST', '/api/password', { body: { password: alice.password, newPassword } }),
    () => 'new session for this browser',
  );
  await expect('GET /api/orders (phone)', 401, phone.send('GET', '/api/orders'), error);
  await expect(
    'POST /auth/token/refresh (phone)',
    401,
    phone.refresh(),
    () => 'the phone must sign in again',
  );
  await expect('GET /api/orders (browser, new session)', 200, tab1.send('GET', '/api/orders'));
  await expect(
    'POST /login (old password)',
    401,
    phone.send('POST', '/login', { body: alice, bearer: false }),
  );

  step(
    '7. Logout',
    'Logout ends the session on the server and kills its access token at once: clearing the\ncookie is not all it does.',
  );
  const before = tab1.accessToken;
  const cookieBefore = tab1.cookie;
  await expect(
    'POST /auth/token/logout',
    204,
    tab1.logout(),
    () => `cookie cleared: ${tab1.cookie === undefined ? 'yes' : 'NO'}`,
  );
  await expect(
    'GET /api/orders (the access token from before logout)',
    401,
    tab1.send('GET', '/api/orders', { bearer: before ?? '' }),
    error,
  );
  tab1.cookie = cookieBefore; // a copy of the old cookie, kept by someone
  await expect('POST /auth/token/refresh (the refresh cookie from before logout)', 401, tab1.refresh());

  showDefender();
  const failed = checks.filter((c) => !c.ok).length;
  log('');
  log(
    failed === 0
      ? `All ${checks.length} requests answered as expected.`
      : `${failed} of ${checks.length} requests did NOT answer as expected.`,
  );
  return { checks, defender };
}
