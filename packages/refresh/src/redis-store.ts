import { ConfigError, type UnavailableError } from '@tessera/core';
import { createDeadlines, durableReply, KEY_PREFIX, KEY_PREFIX_RULE, platform } from '@tessera/core/internal';
import type { Cluster, Redis } from 'ioredis';
import { createBatcher } from './lib/batching.js';
import type { Mutable } from './lib/mutable.js';
import {
  CREATE,
  LIST,
  META_FIELDS,
  maxOf,
  RECORD_FIELDS,
  REVOKE,
  REVOKE_ALL,
  ROTATE,
  ROTATE_REPLY,
  UNROTATE,
} from './lib/scripts.js';
import { NONCE_DIGEST_LENGTH, ownerName, suffixOfSession, tagOfSession } from './lib/token-format.js';
import type {
  RefreshStore,
  RotatedSession,
  RotateOutcome,
  RotateRequest,
  SessionMeta,
  SessionRecord,
} from './store.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /**
   * An ioredis client or Cluster. Recommended: `enableOfflineQueue: false` and a small
   * `maxRetriesPerRequest`, so that an outage fails fast (ERR_UNAVAILABLE) instead of queueing a
   * rotation that would run later, after the caller gave up.
   */
  readonly client: Redis | Cluster;
  /** Key prefix, e.g. `myapp:rt`. Default `tessera:rt`. */
  readonly prefix?: string;
  /** Longest wait for one operation, in ms, before it fails with ERR_UNAVAILABLE. Default 2000. */
  readonly timeoutMs?: number;
  /**
   * How many replicas must hold each write (create, rotate, revoke) before it resolves: Redis `WAIT
   * replicas timeoutMs` after the script, on the same connection. Fewer within `timeoutMs` (default
   * 500): the operation rejects with ERR_UNAVAILABLE. The write is then on the primary; a retry is
   * safe (a rotation retried within the grace window gets the same successor). Default
   * `{ replicas: 0 }`: resolved once the primary has it (a failover may then lose the last
   * rotations; the next presentation of a token ahead of the store ends its session, reason
   * `store_behind`).
   */
  readonly durability?: {
    /** Replicas that must acknowledge each write. */
    readonly replicas: number;
    /** Longest wait for them, ms (default 500). */
    readonly timeoutMs?: number;
  };
}

type ScriptClient = {
  tesseraRtCreate(k1: string, k2: string, ...args: (string | number)[]): Promise<string[]>;
  tesseraRtRotate(numberOfKeys: number, ...keysAndArgs: string[]): Promise<Field[]>;
  tesseraRtUnrotate(numberOfKeys: number, ...keysAndArgs: string[]): Promise<number>;
  tesseraRtRevoke(k1: string, ...args: (string | number)[]): Promise<number>;
  tesseraRtRevokeAll(k1: string, ...args: (string | number)[]): Promise<string[]>;
  tesseraRtList(k1: string, ...args: (string | number)[]): Promise<Field[]>;
};

/**
 * A Redis-backed store: each operation is one Lua script (EVALSHA), all keys of one user share a
 * hash tag (Redis Cluster safe), and a session's keys expire when its absolute lifetime ends. On a
 * standalone client, rotations in flight together share one script call, in which each runs and is
 * answered on its own, in the order they were made.
 * Needs Redis 7+. Configure Redis with persistence (AOF) and `maxmemory-policy noeviction`: an
 * evicted session is logged out, and a lost one cannot be replayed (it is unknown, never valid).
 */
export function createRedisStore(options: RedisStoreOptions): RefreshStore {
  const { client, prefix = 'tessera:rt', timeoutMs = 2000 } = options;
  const durability = {
    replicas: options.durability?.replicas ?? 0,
    timeoutMs: options.durability?.timeoutMs ?? 500,
  };
  if (
    !(Number.isInteger(durability.replicas) && durability.replicas >= 0 && durability.replicas <= 16) ||
    !(Number.isInteger(durability.timeoutMs) && durability.timeoutMs >= 1 && durability.timeoutMs <= 60_000)
  ) {
    throw new ConfigError('createRedisStore: durability must be { replicas: 0-16, timeoutMs: 1-60000 }', {
      reason: 'invalid_options',
      claim: 'durability',
    });
  }
  if (typeof client?.defineCommand !== 'function') {
    throw new ConfigError('createRedisStore: client must be an ioredis Redis or Cluster', {
      reason: 'invalid_options',
      claim: 'client',
    });
  }
  if (!KEY_PREFIX.test(prefix)) {
    throw new ConfigError(`createRedisStore: ${KEY_PREFIX_RULE}`, {
      reason: 'invalid_options',
      claim: 'prefix',
    });
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new ConfigError('createRedisStore: timeoutMs must be a positive integer', {
      reason: 'invalid_options',
      claim: 'timeoutMs',
    });
  }
  client.defineCommand('tesseraRtCreate', { numberOfKeys: 2, lua: CREATE });
  // The number of keys comes first in each call: one per rotation of the batch.
  client.defineCommand('tesseraRtRotate', { lua: ROTATE });
  client.defineCommand('tesseraRtUnrotate', { lua: UNROTATE });
  client.defineCommand('tesseraRtRevoke', { numberOfKeys: 1, lua: REVOKE });
  client.defineCommand('tesseraRtRevokeAll', { numberOfKeys: 1, lua: REVOKE_ALL });
  client.defineCommand('tesseraRtList', { numberOfKeys: 1, lua: LIST });
  const reads = client as unknown as ScriptClient;
  const redis = durability.replicas === 0 ? reads : durableWrites(client, durability);

  // Every key of one owner carries the owner's tag in braces: one hash slot per user. A session id
  // is that tag and a random suffix, so the key is `<prefix>:s:{<tag>}<suffix>`, and the owner's
  // index holds suffixes only: the tag is in every key name already.
  const sessionPrefix = (tag: string) => `${prefix}:s:{${tag}}`;
  const sessionKey = (sessionId: string) =>
    sessionPrefix(tagOfSession(sessionId)) + suffixOfSession(sessionId);
  // The owner's index: `<prefix>:u:{<tag>}<rest of the owner's name>` (132 bits of the subject's digest).
  const owner = (sub: string) => {
    const { tag, rest } = ownerName(sub);
    return { tag, index: `${prefix}:u:{${tag}}${rest}` };
  };

  // A durable write waits for its replicas on top of its own round trip.
  const deadlines = createDeadlines(timeoutMs + (durability.replicas > 0 ? durability.timeoutMs : 0));
  const timed = deadlines.within;
  // Rotations in flight together share one script call on a standalone client (see batching.ts).
  // On a Cluster the sessions of a batch would sit in different hash slots: each goes alone.
  const rotate = createBatcher<RotateRequest, RotateOutcome>(
    (requests) => {
      const keys: string[] = [];
      const args: string[] = [];
      for (const request of requests) {
        keys.push(sessionKey(request.sessionId));
        pushRotateArguments(args, request);
      }
      return redis.tesseraRtRotate(keys.length, ...keys, ...args).then(
        (reply) => rotateOutcomes(reply, requests),
        (error: unknown) => undoUnconfirmed(error, keys, requests),
      );
    },
    { maxBatch: client.isCluster ? 1 : 16, track: deadlines.track },
  );

  /**
   * A durable rotation whose replicas did not confirm in time ran on the primary all the same: undo
   * the rotations of the batch that rotated (best effort), then fail them all as ERR_UNAVAILABLE.
   */
  async function undoUnconfirmed(
    error: unknown,
    keys: readonly string[],
    requests: readonly RotateRequest[],
  ): Promise<never> {
    if (error instanceof UnconfirmedWrite) {
      const outcomes = rotateOutcomes(error.reply as Field[], requests);
      const undo: string[] = [];
      const undoArgs: string[] = [];
      outcomes.forEach((outcome, n) => {
        if (!(outcome instanceof Error) && outcome.status === 'rotated') {
          undo.push(keys[n]!);
          undoArgs.push(`${outcome.session.generation} ${requests[n]!.now}`);
        }
      });
      if (undo.length > 0) await reads.tesseraRtUnrotate(undo.length, ...undo, ...undoArgs).catch(() => 0);
      throw error.failure;
    }
    throw error;
  }

  return {
    async create(record, maxSessions) {
      assertStorable(record);
      const tag = tagOfSession(record.sessionId);
      const args: (string | number)[] = [
        suffixOfSession(record.sessionId),
        sessionPrefix(tag),
        record.createdAt,
        maxSessions,
      ];
      for (const [field, value] of recordToFields(record)) args.push(field, value);
      const evicted = await timed(
        redis.tesseraRtCreate(sessionKey(record.sessionId), owner(record.sub).index, ...args),
      );
      return evicted.map((suffix) => tag + suffix);
    },

    rotate,

    async revoke(sessionId, reason, now, owner) {
      assertReason(reason);
      const args = owner === undefined ? [now, reason] : [now, reason, owner];
      return (await timed(redis.tesseraRtRevoke(sessionKey(sessionId), ...args))) === 1;
    },

    async revokeAll(sub, except, reason, now) {
      assertReason(reason);
      const { tag, index } = owner(sub);
      // Only this owner's sessions are in its index: an id with another tag protects nothing here.
      const keep = except.filter((id) => tagOfSession(id) === tag).map(suffixOfSession);
      const revoked = await timed(redis.tesseraRtRevokeAll(index, sessionPrefix(tag), now, reason, ...keep));
      return revoked.map((suffix) => tag + suffix);
    },

    async list(sub, now) {
      const { tag, index } = owner(sub);
      const reply = await timed(reads.tesseraRtList(index, sessionPrefix(tag), now));
      const records: SessionRecord[] = [];
      const width = RECORD_FIELDS.length + 1;
      for (let n = 0; n + width <= reply.length; n += width)
        records.push(fieldsToRecord(tag + String(reply[n]), reply, n + 1));
      return records;
    },
  };
}

/**
 * The write scripts, each followed by `WAIT replicas timeoutMs` in one pipeline (the same connection;
 * on a Cluster, the master of the session's slot). Rejects when fewer replicas confirmed in time.
 */
function durableWrites(
  client: Redis | Cluster,
  durability: { readonly replicas: number; readonly timeoutMs: number },
): ScriptClient {
  const write = async <T>(name: keyof ScriptClient, args: readonly unknown[]): Promise<T> => {
    const pipeline = client.pipeline() as unknown as Record<string, (...values: unknown[]) => unknown> & {
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    pipeline[name]!(...args);
    pipeline['wait']!(durability.replicas, durability.timeoutMs);
    const { reply, unconfirmed } = durableReply<T>(await pipeline.exec(), durability.replicas);
    if (unconfirmed !== undefined) {
      // A rotation is undone by the caller (it knows the batch); other writes stand, and a retry is safe.
      throw name === 'tesseraRtRotate' ? new UnconfirmedWrite(reply, unconfirmed) : unconfirmed;
    }
    return reply;
  };
  return {
    tesseraRtCreate: (...args) => write('tesseraRtCreate', args),
    tesseraRtRotate: (...args) => write('tesseraRtRotate', args),
    tesseraRtRevoke: (...args) => write('tesseraRtRevoke', args),
    tesseraRtRevokeAll: (...args) => write('tesseraRtRevokeAll', args),
    tesseraRtList: (...args) => write('tesseraRtList', args),
    tesseraRtUnrotate: (...args) => write('tesseraRtUnrotate', args),
  };
}

/** A write that ran on the primary but that too few replicas confirmed: its reply, and the error to report. */
class UnconfirmedWrite extends Error {
  constructor(
    readonly reply: unknown,
    readonly failure: UnavailableError,
  ) {
    super(failure.message);
  }
}

/** Offsets from the creation time are stored in 5 signed bytes, times and counters in 6 or 7 (RECORD_LAYOUT in scripts.ts). */
const MAX_OFFSET = maxOf('u');
const MAX_TIME = maxOf('c');

/**
 * Rejects a record the binary layout cannot hold exactly, rather than storing a wrapped number.
 * Records from `createRefreshTokens` always fit: lifetimes are at most 365 days.
 */
function assertStorable(record: SessionRecord): void {
  const { createdAt } = record;
  const fits = (value: number | undefined, min: number, max: number) =>
    value === undefined || (Number.isSafeInteger(value) && value >= min && value <= max);
  const offsetFits = (time: number | undefined) =>
    time === undefined || fits(time - createdAt, -MAX_OFFSET, MAX_OFFSET);
  const ok =
    fits(createdAt, 0, MAX_TIME) &&
    fits(record.generation, 0, MAX_TIME) &&
    fits(record.epoch, 0, Number.MAX_SAFE_INTEGER) &&
    [record.lastUsedAt, record.rotatedAt, record.idleExpiresAt, record.absoluteExpiresAt].every(offsetFits) &&
    // Stored plus 1 (0 means live), so one less room at the top.
    offsetFits(record.revokedAt === undefined ? undefined : record.revokedAt + 1) &&
    record.secretId.length <= 255 &&
    (record.jkt === undefined || (record.jkt.length > 0 && record.jkt.length <= 255)) &&
    record.nonceDigest.length === NONCE_DIGEST_LENGTH &&
    [record.sub, record.meta.userAgent, record.meta.ip, record.meta.label].every(textFits);
  if (!ok) throw new RangeError('createRedisStore: session record out of the storable range');
}

/** Strings are stored after a 2-byte length. */
function textFits(text: string | undefined): boolean {
  return text === undefined || platform.bytes.utf8Length(text) <= 0xffff;
}

function assertReason(reason: string): void {
  if (!textFits(reason)) throw new RangeError('createRedisStore: revocation reason too long');
}

function metaFields(meta: SessionMeta | undefined): [string, string][] {
  const fields: [string, string][] = [];
  for (const { name, arg } of META_FIELDS) {
    const value = meta?.[name];
    if (value !== undefined) fields.push([arg, value]);
  }
  return fields;
}

function recordToFields(record: SessionRecord): [string, string | number][] {
  const fields: [string, string | number][] = [
    ['s', record.sub],
    ['g', record.generation],
    ['n', record.nonceDigest],
    ['k', record.secretId],
    ['c', record.createdAt],
    ['u', record.lastUsedAt],
    ['r', record.rotatedAt],
    ['a', record.absoluteExpiresAt],
    ['i', record.idleExpiresAt],
  ];
  if (record.revokedAt !== undefined)
    fields.push(['v', record.revokedAt], ['w', record.revokedReason ?? 'revoked']);
  if (record.epoch !== undefined) fields.push(['e', record.epoch]);
  if (record.jkt !== undefined) fields.push(['j', record.jkt]);
  return [...fields, ...metaFields(record.meta)];
}

/**
 * A rotation's arguments (see src/lua/rotate.lua): the five scalars and the metadata count in one
 * string (the nonce digest is base64url and the rest are numbers, so none contains a space), then
 * the metadata pairs.
 */
function pushRotateArguments(args: string[], request: RotateRequest): void {
  // -1: no metadata wanted back; else the number of metadata arguments that follow (maybe 0).
  const pairs = request.meta === undefined ? undefined : metaFields(request.meta);
  args.push(
    `${request.generation} ${request.nonceDigest} ${request.now} ${request.graceMs} ${request.idleTtlMs} ${pairs === undefined ? -1 : pairs.length * 2} ${request.jkt ?? '-'}`,
  );
  if (pairs !== undefined) for (const [field, value] of pairs) args.push(field, value);
}

/** The rotate script's statuses (see src/lua/rotate.lua), by code. */
const ROTATE_STATUS = [
  'unknown',
  'rotated',
  'retry',
  'reused',
  'revoked',
  'expired',
  'key_mismatch',
] as const;

/** The rotate script's flat reply (see src/lua/rotate.lua) to one outcome per request, in order. */
function rotateOutcomes(
  reply: readonly Field[],
  requests: readonly RotateRequest[],
): (RotateOutcome | Error)[] {
  const outcomes: (RotateOutcome | Error)[] = [];
  let at = 0;
  for (const request of requests) {
    const code = reply[at];
    const status = typeof code === 'number' ? ROTATE_STATUS[code] : undefined;
    const withMeta = request.meta !== undefined;
    // What follows each reply: the stored metadata when asked, then the session's key when asked.
    const extra = (withMeta ? ROTATE_REPLY.meta : 0) + (request.jkt === undefined ? 0 : ROTATE_REPLY.key);
    if (status === 'unknown') {
      outcomes.push({ status });
      at += ROTATE_REPLY.unknown;
    } else if (status === 'rotated') {
      const session = rotatedSession(reply, at, request);
      if (request.jkt !== undefined) withKey(session, reply[at + ROTATE_REPLY.rotated + extra - 1]);
      outcomes.push({ status, session });
      at += ROTATE_REPLY.rotated + extra;
    } else if (status !== undefined) {
      const session = otherSession(reply, at, status, withMeta);
      if (request.jkt !== undefined) withKey(session, reply[at + ROTATE_REPLY.full + extra - 1]);
      if (status === 'expired')
        outcomes.push({ status, session, reason: reply[at + 1] === 'absolute' ? 'absolute' : 'idle' });
      else outcomes.push({ status, session });
      at += ROTATE_REPLY.full + extra;
    } else if (code === -1) {
      outcomes.push(new Error(`the rotate script failed: ${String(reply[at + 1])}`));
      at += ROTATE_REPLY.failed;
    } else {
      // Out of step with the script: no later rotation of this reply can be read either.
      const unexpected = new Error('unexpected reply from the rotate script');
      while (outcomes.length < requests.length) outcomes.push(unexpected);
      return outcomes;
    }
  }
  return outcomes;
}

/** Records the session's key of a reply ('' or missing: unbound). */
function withKey(session: Mutable<RotatedSession>, key: Field | undefined): void {
  if (typeof key === 'string' && key !== '') session.jkt = key;
}

/**
 * The rotate script's short reply for the current generation, `{1, c, a, e, s [, y, p, l]}` from
 * `at` (see src/lua/rotate.lua): the generation, last use and idle expiry follow from the request,
 * by the same rule as the script's.
 */
function rotatedSession(reply: readonly Field[], at: number, request: RotateRequest): RotatedSession {
  const absoluteExpiresAt = Number(reply[at + 2]);
  const session: Mutable<RotatedSession> = {
    sub: String(reply[at + 4]),
    generation: request.generation + 1,
    createdAt: Number(reply[at + 1]),
    lastUsedAt: request.now,
    absoluteExpiresAt,
    idleExpiresAt: Math.min(request.now + request.idleTtlMs, absoluteExpiresAt),
  };
  const epoch = Number(reply[at + 3]);
  if (epoch >= 0) session.epoch = epoch;
  if (request.meta !== undefined) session.previousMeta = metaOf(reply[at + 5], reply[at + 6], reply[at + 7]);
  return session;
}

/** The rotate script's full reply from `at` (any status but rotated and unknown) to what the outcome reports. */
function otherSession(
  reply: readonly Field[],
  at: number,
  status: (typeof ROTATE_STATUS)[number],
  withMeta: boolean,
): Mutable<RotatedSession> {
  const [, detail, sub, generation, createdAt, lastUsedAt, absoluteExpiresAt, idleExpiresAt, epoch] =
    reply.slice(at, at + 9);
  const revoked = status === 'revoked' || status === 'reused';
  return {
    sub: String(sub),
    generation: Number(generation),
    createdAt: Number(createdAt),
    lastUsedAt: Number(lastUsedAt),
    absoluteExpiresAt: Number(absoluteExpiresAt),
    idleExpiresAt: Number(idleExpiresAt),
    ...(Number(epoch) >= 0 ? { epoch: Number(epoch) } : {}),
    ...(revoked ? { revokedReason: String(detail) } : {}),
    ...(withMeta ? { previousMeta: metaOf(reply[at + 9], reply[at + 10], reply[at + 11]) } : {}),
  };
}

/** The metadata values of a reply, in META_FIELDS order ('' or missing: absent), as SessionMeta. */
function metaOf(...values: (Field | undefined)[]): SessionMeta {
  const meta: Mutable<SessionMeta> = {};
  META_FIELDS.forEach(({ name }, n) => {
    const value = values[n];
    if (value !== undefined && value !== '') meta[name] = String(value);
  });
  return meta;
}

/** A reply field: integers come back as numbers, strings as strings, a missing field as ''. */
type Field = string | number;

const AT = Object.fromEntries(RECORD_FIELDS.map((field, index) => [field, index])) as {
  readonly [F in (typeof RECORD_FIELDS)[number]]: number;
};

/** Values in RECORD_FIELDS order, starting at `offset` of `values`, to a record. */
function fieldsToRecord(sessionId: string, values: readonly Field[], offset = 0): SessionRecord {
  const text = (at: number) => {
    const value = values[offset + at];
    return value === undefined ? '' : String(value);
  };
  const optionalNumber = (at: number) => {
    const value = values[offset + at];
    return value === undefined || value === '' ? undefined : Number(value);
  };
  const meta = metaOf(values[offset + AT.ua], values[offset + AT.ip], values[offset + AT.lb]);
  const revokedAt = optionalNumber(AT.v);
  const epoch = optionalNumber(AT.e);
  const jkt = text(AT.j);
  return {
    sessionId,
    sub: text(AT.s),
    generation: Number(values[offset + AT.g]),
    nonceDigest: text(AT.n),
    secretId: text(AT.k),
    createdAt: Number(values[offset + AT.c]),
    lastUsedAt: Number(values[offset + AT.u]),
    rotatedAt: Number(values[offset + AT.r]),
    absoluteExpiresAt: Number(values[offset + AT.a]),
    idleExpiresAt: Number(values[offset + AT.i]),
    ...(revokedAt === undefined ? {} : { revokedAt, revokedReason: text(AT.w) }),
    ...(epoch === undefined ? {} : { epoch }),
    meta,
    ...(jkt === '' ? {} : { jkt }),
  };
}
