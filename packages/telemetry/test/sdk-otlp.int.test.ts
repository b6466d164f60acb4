import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseTraceparent } from '../src/index';
import type { TelemetryOptions } from '../src/sdk';

const run = promisify(execFile);
const FIXTURE = join(__dirname, 'export-fixture.ts');

interface Received {
  path: string;
  contentType: string;
  body: string;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// startTelemetry in a process of its own (export-fixture.ts) against an OTLP/HTTP collector
// stand-in that records what the exporter posts.
describe('startTelemetry with exporter otlp, ratio 0 and debugging lists', () => {
  const received: Received[] = [];
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void body(req).then((b) => {
        received.push({ path: req.url ?? '', contentType: req.headers['content-type'] ?? '', body: b });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('exports the traces of listed rooms and users to <endpoint>/v1/traces, and nothing else', async () => {
    const options: TelemetryOptions = {
      serviceName: 'otlp-test',
      exporter: 'otlp',
      otlpEndpoint: `http://127.0.0.1:${port}/`,
      sampleRatio: 0,
      sampleRooms: ['debug-room'],
      sampleUsers: ['debug-user'],
    };
    const { stdout } = await run(process.execPath, ['--import', 'tsx', FIXTURE, JSON.stringify(options)], {
      timeout: 60_000,
    });
    const printed = JSON.parse(stdout) as Record<'forcedRoom' | 'forcedUser' | 'left', string>;

    expect(parseTraceparent(printed.forcedRoom)?.sampled).toBe(true);
    expect(parseTraceparent(printed.forcedUser)?.sampled).toBe(true);
    // Sampled out, but the id is real and travels: logs and the stored message still name it.
    expect(parseTraceparent(printed.left)).toEqual({
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
      spanId: expect.any(String),
      sampled: false,
    });

    expect(received.length).toBeGreaterThan(0);
    for (const r of received) {
      expect(r.path).toBe('/v1/traces');
      expect(r.contentType).toContain('application/json');
    }
    const all = received.map((r) => r.body).join('\n');
    expect(all).toContain('"span-of-debug-room"');
    expect(all).toContain('"span-of-debug-user"');
    expect(all).toContain('"otlp-test"');
    expect(all).toContain('"roomcast.sampled_by"');
    expect(all).not.toContain('span-left-out');
    expect(all).not.toContain('span-child-of-left-out');
  }, 90_000);
});
