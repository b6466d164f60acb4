import type { LiveStatus } from './coordinator';

const fmt = (n: number): string =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n));

/** One status line: phase, connections, msgs/s in, msgs/s and frames/s out, this second's p99. */
export function formatLiveLine(s: LiveStatus): string {
  const p = s.point;
  return (
    `[${String(p.t).padStart(3)}s ${s.phase.padEnd(6)}] conns ${fmt(p.connections)}/${fmt(s.plannedConnections)}` +
    `  in ${fmt(p.sentPerSec)}/s  out ${fmt(p.deliveredPerSec)} msg/s ${fmt(p.deliveredFramesPerSec)} frames/s` +
    `  likes ${fmt(p.likesPerSec)}/s` +
    `  p99 ${p.p99.toFixed(1)} ms  max ${p.max.toFixed(1)} ms  delivered ${fmt(s.totalDelivered)}`
  );
}

/** A live display on a TTY (one line rewritten in place); silent on anything else. */
export function createLiveDisplay(stream: NodeJS.WriteStream): { update(s: LiveStatus): void; done(): void } {
  if (!stream.isTTY) return { update() {}, done() {} };
  let shown = false;
  return {
    update(s) {
      const line = formatLiveLine(s).slice(0, Math.max(20, (stream.columns || 120) - 1));
      stream.write(`\r\x1b[2K${line}`);
      shown = true;
    },
    done() {
      if (shown) stream.write('\n');
    },
  };
}
