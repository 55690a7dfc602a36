/**
 * Lua scripts of the Redis denylist, one `.lua` file each in `src/lua/` (headed by its KEYS, ARGV and
 * returns; `helpers.lua` is included by the others). Each script touches the keys of one shard, which
 * share the shard's hash tag (`{<prefix>}` with one shard, `{<prefix>#<n>.<i>.<j>}` with `n`; see
 * shards.ts), so it runs on Redis Cluster. Replies are integers, strings and flat arrays only.
 *
 * Keys of a shard tagged `{p}` (see keys.ts): `{p}:origin` (string `<ms>:<random>`: when this dataset began, stamped with
 * Redis time), `{p}:log` (stream of revocations, one field per entry: `u1` = `<at>:<epoch>:<sub>` or
 * `s1` = `<at>:<sid>`, with `at` the caller's time in ms; the digit is the entry version),
 * `{p}:seq` (integer: revocations ever logged; it only grows, so a lower value means lost data),
 * `{p}:window` (integer: the largest log window any process declared, ms), `{p}:server` (the
 * `run_id` of the Redis process last seen serving this dataset), `{p}:e:<sha256(sub)>` (integer:
 * the user's epoch; never expires), `{p}:f:<sha256(sub)>` (integer: the user's session floor, the
 * epoch of the last revocation that also ended sessions; never expires), `{p}:migrating` (present
 * while a migration created the shard and has not copied its data yet).
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
