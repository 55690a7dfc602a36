import type { HttpAuthRoutes } from '../types.js';

/** The built-in routes, by what they do. */
export type RouteName = 'refresh' | 'logout' | 'logoutEverywhere' | 'sessions' | 'revokeSession' | 'jwks';

/** One built-in route: its method and path (a route `withId` takes one more path segment, the id). */
export interface RouteEntry {
  readonly name: RouteName;
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly path: string;
  readonly withId: boolean;
}

/**
 * The built-in routes as data: what `handle` serves, what the Fastify adapter registers and what
 * the Express and Hono adapters treat as their own (every other request passes through untouched).
 */
export function routeTable(routes: HttpAuthRoutes): readonly RouteEntry[] {
  return Object.freeze([
    { name: 'refresh', method: 'POST', path: routes.refresh, withId: false },
    { name: 'logout', method: 'POST', path: routes.logout, withId: false },
    { name: 'logoutEverywhere', method: 'POST', path: routes.logoutEverywhere, withId: false },
    { name: 'sessions', method: 'GET', path: routes.sessions, withId: false },
    { name: 'revokeSession', method: 'DELETE', path: routes.sessions, withId: true },
    { name: 'jwks', method: 'GET', path: routes.jwks, withId: false },
  ] as const);
}

/** The routes of the table at `path` (one path may take several methods), with the raw id segment. */
export function routesAt(
  table: readonly RouteEntry[],
  path: string,
): { readonly entries: readonly RouteEntry[]; readonly rawId: string | undefined } {
  const exact = table.filter((entry) => !entry.withId && entry.path === path);
  if (exact.length > 0) return { entries: exact, rawId: undefined };
  for (const entry of table) {
    if (!entry.withId || !path.startsWith(`${entry.path}/`)) continue;
    const rawId = path.slice(entry.path.length + 1);
    if (rawId.length > 0 && !rawId.includes('/')) {
      return { entries: table.filter((e) => e.withId && e.path === entry.path), rawId };
    }
  }
  return { entries: [], rawId: undefined };
}

/** Does a path belong to the built-in routes? (Other requests pass through untouched.) */
export function isOwnPath(path: string, table: readonly RouteEntry[]): boolean {
  return routesAt(table, path).entries.length > 0;
}
