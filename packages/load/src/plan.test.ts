import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCli } from './args';
import type { LoadOptions } from './options';
import { resolveSourceAddresses, resolveWorkers } from './options';
import { buildPlan, chatText } from './plan';

const base: LoadOptions = {
  urls: ['ws://127.0.0.1:1/ws', 'ws://127.0.0.1:2/ws'],
  rooms: 3,
  viewers: 4,
  senders: 1,
  rate: 1,
  giftsPerSec: 0,
  durationSec: 1,
  rampSec: 5,
  likesPerSec: 10,
  sizeBytes: 40,
  tokenSecret: undefined,
  workers: 2,
  target: 'roomcast',
  protocol: 2,
  resume: false,
  drainSec: 1,
  sourceAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
  requestTimeoutMs: 1000,
  jsonPath: undefined,
  htmlPath: undefined,
  label: undefined,
};

describe('buildPlan', () => {
  const plan = buildPlan(base, 'run');
  const all = plan.workers.flatMap((w) => w.connections).sort((a, b) => a.index - b.index);

  it('creates rooms x (viewers + senders) connections with unique users', () => {
    expect(all).toHaveLength(15);
    expect(new Set(all.map((c) => c.userId)).size).toBe(15);
    expect(plan.roomIds).toEqual(['load-run-r0', 'load-run-r1', 'load-run-r2']);
    for (let r = 0; r < 3; r++) {
      const inRoom = all.filter((c) => c.room === r);
      expect(inRoom.filter((c) => c.role === 'sender')).toHaveLength(1);
      expect(inRoom.filter((c) => c.role === 'viewer')).toHaveLength(4);
    }
  });

  it('rotates worker, URL and source address per connection and spreads the ramp', () => {
    for (const c of all) {
      expect(plan.workers[c.index % 2]?.connections).toContain(c);
      expect(c.url).toBe(base.urls[c.index % 2]);
      expect(c.localAddress).toBe(base.sourceAddresses[c.index % 3]);
    }
    expect(all[0]?.startOffsetMs).toBe(0);
    expect(all[14]?.startOffsetMs).toBe(Math.round((5000 * 14) / 15));
  });

  it('splits each room likes over workers in proportion to the viewers they hold', () => {
    for (let r = 0; r < 3; r++) {
      const total = plan.workers.reduce((acc, w) => acc + (w.likesPerSecByRoom[r] ?? 0), 0);
      expect(total).toBeCloseTo(10, 9);
    }
  });

  it('makes chat text of exactly the requested size', () => {
    expect(Buffer.byteLength(chatText(1))).toBe(1);
    expect(Buffer.byteLength(chatText(500))).toBe(500);
  });
});

describe('options', () => {
  it('resolves source addresses: auto only for 127.x targets, one per 20 000 connections', () => {
    expect(resolveSourceAddresses('auto', ['ws://127.0.0.1:8080/ws'], 100)).toEqual(['127.0.0.2']);
    expect(resolveSourceAddresses('auto', ['ws://127.0.0.1:8080/ws'], 50_000)).toEqual([
      '127.0.0.2',
      '127.0.0.3',
      '127.0.0.4',
    ]);
    expect(resolveSourceAddresses('auto', ['ws://localhost:8080/ws'], 100)).toEqual([]);
    expect(resolveSourceAddresses('none', ['ws://127.0.0.1:8080/ws'], 100)).toEqual([]);
    expect(resolveSourceAddresses('2', [], 1)).toEqual(['127.0.0.2', '127.0.0.3']);
    expect(resolveSourceAddresses('10.0.0.1, 10.0.0.2', [], 1)).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('never runs more workers than connections', () => {
    expect(resolveWorkers(8, 3)).toBe(3);
    expect(resolveWorkers('auto', 1)).toBe(1);
  });
});

describe('parseCli', () => {
  it('reads the documented flags', () => {
    const r = parseCli(
      [
        '--url',
        'ws://127.0.0.1:8080/ws',
        '--url',
        'ws://127.0.0.1:8081/ws',
        '--rooms',
        '2',
        '--viewers',
        '50',
        '--senders',
        '2',
      ].concat([
        '--rate',
        '5',
        '--duration',
        '10',
        '--ramp',
        '5',
        '--likes',
        '0',
        '--size',
        '40',
        '--token-secret',
        'dev',
        '--workers',
        '1',
      ]),
    );
    expect(r.help).toBe(false);
    if (r.help) return;
    expect(r.options).toMatchObject({
      urls: ['ws://127.0.0.1:8080/ws', 'ws://127.0.0.1:8081/ws'],
      rooms: 2,
      viewers: 50,
      senders: 2,
      rate: 5,
      durationSec: 10,
      rampSec: 5,
      likesPerSec: 0,
      sizeBytes: 40,
      tokenSecret: 'dev',
      workers: 1,
      target: 'roomcast',
      protocol: 2,
    });
  });

  it('rejects bad usage with CONFIG_INVALID', () => {
    expect(() => parseCli([])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => parseCli(['--url', 'http://x'])).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => parseCli(['--url', 'ws://x/ws', '--size', '501'])).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() => parseCli(['--url', 'ws://x/ws', '--target', 'centrifugo'])).toThrow(/token-secret/);
  });

  it('takes --gifts R (gifts per second per sender, default 0), for roomcast only', () => {
    const giftsOf = (args: string[]) => {
      const r = parseCli(['--url', 'ws://127.0.0.1:1/ws', ...args]);
      return r.help ? undefined : r.options.giftsPerSec;
    };
    expect(giftsOf([])).toBe(0);
    expect(giftsOf(['--gifts', '2.5'])).toBe(2.5);
    expect(() => giftsOf(['--gifts=-1'])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => giftsOf(['--gifts', '1', '--target', 'centrifugo', '--token-secret', 's'])).toThrow(/--gifts is for --target roomcast/);
  });

  it('takes --resume (default off), also from a scenario file, for roomcast only', () => {
    const resumeOf = (args: string[]) => {
      const r = parseCli(['--url', 'ws://127.0.0.1:1/ws', ...args]);
      return r.help ? undefined : r.options.resume;
    };
    expect(resumeOf([])).toBe(false);
    expect(resumeOf(['--resume'])).toBe(true);
    expect(() => resumeOf(['--resume', '--target', 'centrifugo', '--token-secret', 's'])).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('--resume') }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'roomcast-load-scenario-'));
    try {
      const file = join(dir, 's.json');
      writeFileSync(file, JSON.stringify({ resume: true }));
      expect(resumeOf(['--scenario', file])).toBe(true);
      writeFileSync(file, JSON.stringify({ resume: 'yes' }));
      expect(() => resumeOf(['--scenario', file])).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes --protocol 1 or 2 (default 2), also from a scenario file, and nothing else', () => {
    const protocolOf = (args: string[]) => {
      const r = parseCli(['--url', 'ws://127.0.0.1:1/ws', ...args]);
      return r.help ? undefined : r.options.protocol;
    };
    expect(protocolOf([])).toBe(2);
    expect(protocolOf(['--protocol', '1'])).toBe(1);
    expect(protocolOf(['--protocol', '2'])).toBe(2);
    for (const bad of ['3', '0', 'v2', '2.0', ''])
      expect(() => protocolOf(['--protocol', bad])).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    const dir = mkdtempSync(join(tmpdir(), 'roomcast-load-scenario-'));
    try {
      const file = join(dir, 's.json');
      writeFileSync(file, JSON.stringify({ protocol: 1 }));
      expect(protocolOf(['--scenario', file])).toBe(1);
      expect(protocolOf(['--scenario', file, '--protocol', '2'])).toBe(2);
      writeFileSync(file, JSON.stringify({ protocol: 3 }));
      expect(() => protocolOf(['--scenario', file])).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
