import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { MAX_CHAT_TEXT_CHARS } from '@roomcast/contracts';

/** Which server protocol the connections speak. */
export type LoadTarget = 'roomcast' | 'centrifugo';

/** roomcast client protocol versions the load tool reads (contracts ws.ts: v1 `message`, v2 `messages`). */
export const LOAD_PROTOCOLS = [1, 2] as const;
export type LoadProtocol = (typeof LOAD_PROTOCOLS)[number];

/** A fully resolved scenario: what the coordinator and its workers run. */
export interface LoadOptions {
  /** Gateway WebSocket URLs; connections are spread round-robin. */
  urls: string[];
  rooms: number;
  /** Viewers per room (join, receive, like). */
  viewers: number;
  /** Senders per room (join, chat, receive their room's messages too). */
  senders: number;
  /** Chat messages per second per sender. */
  rate: number;
  /**
   * Gifts per second per sender, sent beside the chats (`--gifts`): high-priority messages of the
   * room's stream, their delivery latency reported apart from chat's. roomcast only. 0 = none.
   */
  giftsPerSec: number;
  /** Seconds of sending, after every connection joined. */
  durationSec: number;
  /** Seconds over which connections are opened, evenly spaced. */
  rampSec: number;
  /** Like frames per second per room, spread over its viewers. */
  likesPerSec: number;
  /** Chat text size, bytes (ASCII), 1..500. */
  sizeBytes: number;
  /** HS256 secret to mint tokens; without it tokens come from POST <http base>/dev/token. */
  tokenSecret: string | undefined;
  /** Worker processes. */
  workers: number;
  target: LoadTarget;
  /**
   * roomcast client protocol to declare (`?protocol=` on the WebSocket URL): 2 = `messages` batch
   * frames, 1 = one `message` frame per message. Ignored by `--target centrifugo`.
   */
  protocol: LoadProtocol;
  /**
   * Reconnect after a reconnectable close (the SDK's backoff, every URL in turn starting at the
   * connection's own) and resume the room with `afterSeq`; chats a close rejected are resent with
   * their clientMsgId. roomcast only. Off: a close is reported and the connection stays closed.
   */
  resume: boolean;
  /** Longest wait for in-flight deliveries after sending stopped, seconds. */
  drainSec: number;
  /** Local source addresses rotated per connection; empty = the OS chooses. */
  sourceAddresses: string[];
  /** Chat ack / join timeout, ms. */
  requestTimeoutMs: number;
  jsonPath: string | undefined;
  htmlPath: string | undefined;
  /** Free text shown in reports. */
  label: string | undefined;
}

/** Defaults for everything but `urls`. */
export const DEFAULT_OPTIONS = {
  rooms: 1,
  viewers: 10,
  senders: 1,
  rate: 1,
  giftsPerSec: 0,
  durationSec: 10,
  rampSec: 2,
  likesPerSec: 0,
  sizeBytes: 40,
  workers: 'auto',
  target: 'roomcast',
  protocol: 2,
  resume: false,
  drainSec: 10,
  sourceAddresses: 'auto',
  requestTimeoutMs: 10_000,
} as const;

/**
 * One (source ip, destination ip:port) pair has ~28 000 ephemeral ports on Linux
 * (32768-60999); `auto` adds one loopback source address per this many connections.
 */
export const CONNECTIONS_PER_SOURCE_ADDRESS = 20_000;

const count = z.number().int().nonnegative();
const positive = z.number().positive();

/**
 * A scenario file (`--scenario file.json`): the same settings as the flags, by their long names
 * in camelCase or as written on the command line; flags given on the command line win.
 */
export const ScenarioFile = z
  .object({
    url: z.union([z.string(), z.array(z.string())]),
    urls: z.array(z.string()),
    rooms: count,
    viewers: count,
    senders: count,
    rate: z.number().nonnegative(),
    gifts: z.number().nonnegative(),
    duration: positive,
    ramp: z.number().nonnegative(),
    likes: z.number().nonnegative(),
    size: z.number().int().min(1).max(MAX_CHAT_TEXT_CHARS),
    tokenSecret: z.string().min(1),
    'token-secret': z.string().min(1),
    workers: z.union([z.literal('auto'), z.number().int().positive()]),
    target: z.enum(['roomcast', 'centrifugo']),
    protocol: z.literal([...LOAD_PROTOCOLS]),
    resume: z.boolean(),
    drain: z.number().nonnegative(),
    sourceAddresses: z.union([z.string(), z.array(z.string())]),
    'source-addresses': z.union([z.string(), z.array(z.string())]),
    requestTimeoutMs: z.number().int().positive(),
    json: z.string(),
    html: z.string(),
    label: z.string(),
  })
  .partial()
  .strict();
export type ScenarioFile = z.infer<typeof ScenarioFile>;

/** Worker count: `auto` = available cores, never more than there are connections. */
export function resolveWorkers(workers: 'auto' | number, connections: number): number {
  const wanted = workers === 'auto' ? availableParallelism() : workers;
  return Math.max(1, Math.min(wanted, Math.max(1, connections)));
}

function isLoopbackV4(url: string): boolean {
  try {
    return /^127\.\d+\.\d+\.\d+$/.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * `auto`: when every URL targets a 127.x.x.x address, rotate over 127.0.0.2, 127.0.0.3, ...
 * (one per CONNECTIONS_PER_SOURCE_ADDRESS connections, at least one); otherwise let the OS pick.
 * `none`: let the OS pick. A number N: 127.0.0.2 .. 127.0.0.(N+1). Or an explicit list.
 */
export function resolveSourceAddresses(
  spec: string | readonly string[],
  urls: readonly string[],
  connections: number,
): string[] {
  if (Array.isArray(spec)) return [...spec];
  const s = String(spec).trim();
  if (s === 'none' || s === '') return [];
  const loopback = (n: number) => Array.from({ length: n }, (_, i) => `127.0.0.${2 + i}`);
  if (s === 'auto') {
    if (!urls.every(isLoopbackV4)) return [];
    return loopback(Math.min(250, Math.max(1, Math.ceil(connections / CONNECTIONS_PER_SOURCE_ADDRESS))));
  }
  if (/^\d+$/.test(s)) return loopback(Math.min(250, Math.max(1, Number(s))));
  return s
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
}

/** Total connections of a scenario. */
export function connectionCount(o: Pick<LoadOptions, 'rooms' | 'viewers' | 'senders'>): number {
  return o.rooms * (o.viewers + o.senders);
}
