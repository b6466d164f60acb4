import type { Hop } from './path';
import type { TraceReport } from './trace-message';

const ms = (v: number): string => `${v.toFixed(1)} ms`;

function who(hop: Hop): string {
  return hop.gatewayId !== undefined ? `${hop.service} ${hop.gatewayId}` : hop.service;
}

function detail(hop: Hop): string {
  const parts: string[] = [];
  if (hop.fanout !== undefined) parts.push(`fan-out ${hop.fanout} socket${hop.fanout === 1 ? '' : 's'}`);
  if (hop.gateways !== undefined) parts.push(`to ${hop.gateways} gateway${hop.gateways === 1 ? '' : 's'}`);
  if (hop.topic !== undefined) parts.push(`from ${hop.topic}`);
  return parts.join(', ');
}

/**
 * The report as text: the message, then one line per hop (indented by its depth in the span
 * tree) with start offset, duration and the Kafka queue time before it, then fan-out per gateway.
 */
export function formatReport(r: TraceReport): string {
  const lines: string[] = [];
  const m = r.message;
  if (m) {
    lines.push(
      `message ${m.id}: room ${m.roomId} seq ${m.seq}, user ${m.userId} clientMsgId ${m.clientMsgId || '(none)'}` +
        `, sent ${new Date(m.sentAt).toISOString()}, accepted +${m.acceptedAt - m.sentAt} ms` +
        (r.matched ? `  [found by ${r.matched}]` : ''),
    );
  }
  if (r.traceId) lines.push(`trace ${r.traceId}${r.jaegerUrl ? `  ${r.jaegerUrl}` : ''}`);
  const p = r.path;
  if (p) {
    lines.push(
      `${p.hops.length} spans, ${ms(p.totalMs)} from the first span's start to the last one's end` +
        (p.sampledBy ? ` (always sampled: listed ${p.sampledBy})` : ''),
    );
    lines.push('');
    const rows = p.hops.map((h) => [
      ms(h.startMs),
      ms(h.durationMs),
      h.queueMs !== undefined ? ms(h.queueMs) : '',
      `${'  '.repeat(h.depth)}${h.span}`,
      who(h),
      detail(h),
    ]);
    const head = ['start', 'duration', 'kafka queue', 'span', 'service', ''];
    const widths = head.map((title, i) =>
      Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
    );
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i < 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd();
    lines.push(line(head));
    for (const row of rows) lines.push(line(row));
    lines.push('');
    lines.push(
      p.fanout.length > 0
        ? `fan-out: ${p.fanout.map((f) => `${f.gatewayId} ${f.sockets} socket${f.sockets === 1 ? '' : 's'}`).join(', ')}`
        : 'fan-out: no gateway delivered it',
    );
    lines.push(
      "kafka queue = hop start − the record's producer timestamp (broker write, fetch wait, earlier batches)",
    );
  }
  if (r.status !== 'ok') lines.push(`${r.status.toUpperCase()}: ${r.explanation ?? ''}`);
  return lines.join('\n');
}
