import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

/**
 * Debian's Chromium, installed by the README's test command (apt-get install chromium): a missing
 * browser fails the suite, it does not skip it.
 */
const CHROMIUM =
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path)) ?? '/usr/bin/chromium';

/**
 * Headless Chromium for the browser tests. `localhost` resolves to 127.0.0.1, where the example API
 * listens: a secure context over plain HTTP (the __Secure- cookie, WebCrypto, IndexedDB, Web Locks).
 */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--host-resolver-rules=MAP localhost 127.0.0.1'],
  });
}
