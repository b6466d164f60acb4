import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AppError } from '@roomcast/errors';
import {
  DEFAULT_OPTIONS,
  ScenarioFile,
  LOAD_PROTOCOLS,
  connectionCount,
  resolveSourceAddresses,
  resolveWorkers,
  type LoadOptions,
  type LoadProtocol,
  type LoadTarget,
} from './options';

export const USAGE = `roomcast-load: simulate heavy live rooms and report what viewers experienced

  roomcast-load --url ws://127.0.0.1:8080/ws [--url ...] [options]

  --url URL              gateway WebSocket URL (repeat for several; spread round-robin)
  --rooms N              rooms (default ${DEFAULT_OPTIONS.rooms})
  --viewers N            viewers per room (default ${DEFAULT_OPTIONS.viewers})
  --senders N            senders per room (default ${DEFAULT_OPTIONS.senders})
  --rate R               chat messages per second per sender (default ${DEFAULT_OPTIONS.rate})
  --gifts R              gifts per second per sender, beside the chats: high-priority messages,
                         their latency reported apart (default ${DEFAULT_OPTIONS.giftsPerSec}; roomcast only)
  --duration S           seconds of sending once everyone joined (default ${DEFAULT_OPTIONS.durationSec})
  --ramp S               seconds to open all connections (default ${DEFAULT_OPTIONS.rampSec})
  --likes R              like frames per second per room (default ${DEFAULT_OPTIONS.likesPerSec})
  --size B               chat text bytes, 1..500 (default ${DEFAULT_OPTIONS.sizeBytes})
  --token-secret S       mint HS256 tokens with S; without it: POST <http base>/dev/token
  --workers N|auto       worker processes (default auto = cores)
  --target T             roomcast | centrifugo (default roomcast)
  --protocol 1|2         roomcast protocol to declare: 2 = messages batch frames, 1 = one frame
                         per message (default ${DEFAULT_OPTIONS.protocol})
  --resume               reconnect after the server closes a connection (4000-4499, 1006: e.g. a
                         gateway drain), to the next --url each time, and resume the room with
                         afterSeq; chats the close rejected are resent (default off: closes stay closed)
  --drain S              longest wait for in-flight deliveries after sending (default ${DEFAULT_OPTIONS.drainSec})
  --source-addresses A   auto | none | N | ip,ip,...: local addresses rotated per connection (default auto)
  --request-timeout MS   join/ack timeout (default ${DEFAULT_OPTIONS.requestTimeoutMs})
  --scenario FILE        JSON file with any of these settings (flags win)
  --json FILE            write every figure as JSON
  --html FILE            write a self-contained HTML report
  --label TEXT           free text shown in the reports
  -h, --help

Exit code: 0 ok; 1 a viewer saw a gap, duplicate or out-of-order message, messages stayed
undelivered, or message frames did not scan (unscannedFrames); 2 bad usage; 3 the run could not
be carried out (no connection joined, a worker died). Thinning (v2) is reported, not a failure.`;

function num(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new AppError('CONFIG_INVALID', `--${name}: not a non-negative number: ${raw}`);
  return n;
}

function int(name: string, raw: string | undefined): number | undefined {
  const n = num(name, raw);
  if (n !== undefined && !Number.isInteger(n))
    throw new AppError('CONFIG_INVALID', `--${name}: not an integer: ${raw}`);
  return n;
}

function parseProtocol(raw: string | undefined): LoadProtocol | undefined {
  if (raw === undefined) return undefined;
  const version = LOAD_PROTOCOLS.find((v) => String(v) === raw);
  if (version === undefined)
    throw new AppError('CONFIG_INVALID', `--protocol must be ${LOAD_PROTOCOLS.join(' or ')}: ${raw}`);
  return version;
}

function loadScenario(path: string): ScenarioFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AppError('CONFIG_INVALID', `--scenario ${path}: cannot read JSON`, { cause: err });
  }
  const parsed = ScenarioFile.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new AppError('CONFIG_INVALID', `--scenario ${path}: ${problems}`);
  }
  return parsed.data;
}

const asList = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

/** Parsed command line: either help, or resolved options. Throws AppError BAD_REQUEST on bad usage. */
export function parseCli(argv: readonly string[]): { help: true } | { help: false; options: LoadOptions } {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string', multiple: true },
      rooms: { type: 'string' },
      viewers: { type: 'string' },
      senders: { type: 'string' },
      rate: { type: 'string' },
      gifts: { type: 'string' },
      duration: { type: 'string' },
      ramp: { type: 'string' },
      likes: { type: 'string' },
      size: { type: 'string' },
      'token-secret': { type: 'string' },
      workers: { type: 'string' },
      target: { type: 'string' },
      protocol: { type: 'string' },
      resume: { type: 'boolean' },
      drain: { type: 'string' },
      'source-addresses': { type: 'string' },
      'request-timeout': { type: 'string' },
      scenario: { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
      label: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  const file: ScenarioFile = values.scenario ? loadScenario(values.scenario) : {};

  const urls = values.url ?? file.urls ?? asList(file.url) ?? [];
  if (urls.length === 0) throw new AppError('CONFIG_INVALID', 'at least one --url is required');
  for (const u of urls) {
    if (!/^wss?:\/\//.test(u)) throw new AppError('CONFIG_INVALID', `--url must be ws:// or wss://: ${u}`);
  }
  const target = (values.target ?? file.target ?? DEFAULT_OPTIONS.target) as LoadTarget;
  if (target !== 'roomcast' && target !== 'centrifugo') {
    throw new AppError('CONFIG_INVALID', `--target must be roomcast or centrifugo: ${String(target)}`);
  }
  const protocol = parseProtocol(values.protocol) ?? file.protocol ?? DEFAULT_OPTIONS.protocol;
  const resume = values.resume ?? file.resume ?? DEFAULT_OPTIONS.resume;
  if (resume && target !== 'roomcast') {
    throw new AppError(
      'CONFIG_INVALID',
      '--resume is for --target roomcast (it resumes through @roomcast/client)',
    );
  }
  const giftsPerSec = num('gifts', values.gifts) ?? file.gifts ?? DEFAULT_OPTIONS.giftsPerSec;
  if (giftsPerSec > 0 && target !== 'roomcast')
    throw new AppError('CONFIG_INVALID', '--gifts is for --target roomcast (Centrifugo has no gifts)');
  const rooms = int('rooms', values.rooms) ?? file.rooms ?? DEFAULT_OPTIONS.rooms;
  const viewers = int('viewers', values.viewers) ?? file.viewers ?? DEFAULT_OPTIONS.viewers;
  const senders = int('senders', values.senders) ?? file.senders ?? DEFAULT_OPTIONS.senders;
  const sizeBytes = int('size', values.size) ?? file.size ?? DEFAULT_OPTIONS.sizeBytes;
  if (sizeBytes < 1 || sizeBytes > 500)
    throw new AppError('CONFIG_INVALID', `--size must be 1..500: ${sizeBytes}`);
  const durationSec = num('duration', values.duration) ?? file.duration ?? DEFAULT_OPTIONS.durationSec;
  if (durationSec <= 0) throw new AppError('CONFIG_INVALID', '--duration must be > 0');
  if (rooms < 1 || viewers + senders < 1)
    throw new AppError('CONFIG_INVALID', 'need at least one room with one connection');
  const tokenSecret = values['token-secret'] ?? file.tokenSecret ?? file['token-secret'];
  if (target === 'centrifugo' && tokenSecret === undefined) {
    throw new AppError(
      'CONFIG_INVALID',
      '--target centrifugo needs --token-secret (Centrifugo has no dev token endpoint)',
    );
  }
  const workersRaw = values.workers ?? file.workers ?? DEFAULT_OPTIONS.workers;
  const workersSpec = workersRaw === 'auto' ? 'auto' : int('workers', String(workersRaw));
  if (workersSpec === 0 || workersSpec === undefined)
    throw new AppError('CONFIG_INVALID', '--workers must be auto or >= 1');
  const connections = connectionCount({ rooms, viewers, senders });
  const sourceSpec =
    values['source-addresses'] ??
    file.sourceAddresses ??
    file['source-addresses'] ??
    DEFAULT_OPTIONS.sourceAddresses;

  return {
    help: false,
    options: {
      urls,
      rooms,
      viewers,
      senders,
      rate: num('rate', values.rate) ?? file.rate ?? DEFAULT_OPTIONS.rate,
      giftsPerSec,
      durationSec,
      rampSec: num('ramp', values.ramp) ?? file.ramp ?? DEFAULT_OPTIONS.rampSec,
      likesPerSec: num('likes', values.likes) ?? file.likes ?? DEFAULT_OPTIONS.likesPerSec,
      sizeBytes,
      tokenSecret,
      workers: resolveWorkers(workersSpec, connections),
      target,
      protocol,
      resume,
      drainSec: num('drain', values.drain) ?? file.drain ?? DEFAULT_OPTIONS.drainSec,
      sourceAddresses: resolveSourceAddresses(sourceSpec, urls, connections),
      requestTimeoutMs:
        int('request-timeout', values['request-timeout']) ??
        file.requestTimeoutMs ??
        DEFAULT_OPTIONS.requestTimeoutMs,
      jsonPath: values.json ?? file.json,
      htmlPath: values.html ?? file.html,
      label: values.label ?? file.label,
    },
  };
}
