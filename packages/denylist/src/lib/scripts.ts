/**
 * Lua scripts of the Redis denylist, one `.lua` file each in `src/lua/` (headed by its KEYS, ARGV and
 * returns; `helpers.lua` is included by the others). Every key shares the hash tag `{<prefix>}`, so each script runs
 * on Redis Cluster (all denylist keys live in one slot: revocations are rare and small, see the
 * sizing notes in docs/revocation.md). Replies are integers, strings and flat arrays only.
 *
 * Keys (see keys.ts): `{p}:origin` (string `<ms>:<random>`: when this dataset began, stamped with
 * Redis time), `{p}:log` (stream of revocations, one field per entry: `u1` = `<at>:<epoch>:<sub>` or
 * `s1` = `<at>:<sid>`, with `at` the caller's time in ms; the digit is the entry version),
 * `{p}:seq` (integer: revocations ever logged; it only grows, so a lower value means lost data),
 * `{p}:window` (integer: the largest log window any process declared, ms), `{p}:server` (the
 * `run_id` of the Redis process last seen serving this dataset), `{p}:e:<sha256(sub)>` (integer:
 * the user's epoch; never expires), `{p}:f:<sha256(sub)>` (integer: the user's session floor, the
 * epoch of the last revocation that also ended sessions; never expires).
 */

import { fillLua } from '@tessera/core/internal';
import { LUA_SOURCES } from './lua.generated.js';

const script = (name: string) => fillLua(LUA_SOURCES, name, {});
export const ORIGIN = script('origin');
export const MOVE_ORIGIN = script('move-origin');
export const STAMP_SERVER = script('stamp-server');
export const EPOCH = script('epoch');
export const REVOKE_USER = script('revoke-user');
export const REVOKE_SESSION = script('revoke-session');
export const MERGE_EPOCH = script('merge-epoch');
export const APPEND_ENTRY = script('append-entry');
