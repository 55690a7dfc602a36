/** The values of every cookie called `name` in a Cookie header (RFC 6265 section 4.2.1). */
export function cookieValues(header: string, name: string): string[] {
  const values: string[] = [];
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    values.push(value);
  }
  return values;
}

/** Attributes of the refresh cookie: never readable by scripts, never sent cross-site, HTTPS only. */
export function refreshCookie(
  name: string,
  value: string,
  path: string,
  maxAgeSeconds: number,
  secure = true,
): string {
  return `${name}=${value}; Path=${path}; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly;${secure ? ' Secure;' : ''} SameSite=Strict`;
}
