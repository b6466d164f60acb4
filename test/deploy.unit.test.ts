import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import { createEmbeddedApp } from '@roomcast/embedded';
import { configSchema } from '@roomcast/embedded/config';
import { silentLogger } from '@roomcast/logger';
import { parse as parseYaml } from 'yaml';

// The Grafana dashboard and the Prometheus alert rules in deploy/ query metrics by name: each
// query must parse as PromQL and name only metrics (and labels) the services register, so that
// renaming a metric breaks this test instead of a dashboard nobody looks at until an incident.

const ROOT = join(__dirname, '..');
const SERVICES = ['gateway', 'chat-ingest', 'filter', 'persistence', 'notification'];
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ['instance', 'job'];

interface Registered {
  type: string;
  labels: Set<string>;
}

/**
 * Every metric the services register — the embedded start wires every service's createApp to one
 * registry — and the readiness checks they expose (the `check` label, from a scrape).
 */
async function registeredMetrics(): Promise<{
  metrics: Map<string, Registered>;
  readinessChecks: Set<string>;
}> {
  const app = createEmbeddedApp(
    configSchema.parse({ JWT_SECRET: 'deploy-test-secret-0123456789abcdef' }),
    silentLogger(),
  );
  app.metrics.collectProcessMetrics(); // as main.ts (and runService) do
  const metrics = new Map<string, Registered>();
  for (const m of app.metrics.describe())
    metrics.set(m.name, { type: m.type, labels: new Set(m.labelNames) });
  const scraped = await app.metrics.render();
  const readinessChecks = new Set(
    [...scraped.matchAll(/^roomcast_readiness_check\{.*check="(\w+)"/gm)].map((m) => m[1] as string),
  );
  return { metrics, readinessChecks };
}

interface Query {
  where: string;
  expr: string;
}

function dashboardQueries(): Query[] {
  const dash = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/roomcast-dashboard.json'), 'utf8')) as {
    panels: { title: string; type: string; panels?: unknown[]; targets?: { expr: string }[] }[];
  };
  const out: Query[] = [];
  for (const p of dash.panels)
    for (const t of p.targets ?? []) out.push({ where: `dashboard panel "${p.title}"`, expr: t.expr });
  return out;
}

function alertQueries(): Query[] {
  const doc = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; expr: string; annotations?: { runbook?: string } }[] }[];
  };
  return doc.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })));
}

function alertRunbooks(): { alert: string; runbook: string }[] {
  const doc = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { alert: string; annotations?: { runbook?: string } }[] }[];
  };
  return doc.groups.flatMap((g) =>
    g.rules.map((r) => ({ alert: r.alert, runbook: r.annotations?.runbook ?? '' })),
  );
}

interface Selector {
  name: string;
  matchers: { label: string; op: string; value: string }[];
}

/** Parses `expr` (Grafana's $variables replaced by a duration); throws on a syntax error. */
function analyse(expr: string): { selectors: Selector[]; labels: string[] } {
  const text = expr.replace(/\$\{?__\w+\}?|\$\{?\w+\}?/g, '5m');
  const tree = parser.parse(text);
  const selectors: Selector[] = [];
  const labels: string[] = [];
  let error: number | undefined;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) error ??= n.from;
      if (n.name === 'VectorSelector') {
        const id = n.node.getChild('Identifier');
        const matchers: Selector['matchers'] = [];
        for (const m of n.node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
          const label = m.getChild('LabelName');
          const op = m.getChild('MatchOp');
          const value = m.getChild('StringLiteral');
          if (label && op && value)
            matchers.push({
              label: text.slice(label.from, label.to),
              op: text.slice(op.from, op.to),
              value: JSON.parse(text.slice(value.from, value.to)) as string,
            });
        }
        selectors.push({ name: id ? text.slice(id.from, id.to) : '', matchers });
      }
      if (n.name === 'LabelName') labels.push(text.slice(n.from, n.to));
    },
  });
  if (error !== undefined) throw new Error(`PromQL syntax error at ${error}: ${text}`);
  return { selectors, labels };
}

/** The registered metric a selector names (a histogram's _bucket/_sum/_count series included), with the labels its series have. */
function resolve(name: string, metrics: Map<string, Registered>): { labels: Set<string> } | undefined {
  const direct = metrics.get(name);
  if (direct && direct.type !== 'histogram') return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m ? metrics.get(m[1] as string) : undefined;
  if (!m || !base || base.type !== 'histogram') return undefined;
  return { labels: new Set([...base.labels, ...(m[2] === 'bucket' ? ['le'] : [])]) };
}

/** What is wrong with one query: unknown metrics, labels no selected metric has, label values no service uses. */
function problems(q: Query, metrics: Map<string, Registered>, readinessChecks: Set<string>): string[] {
  const out: string[] = [];
  let parsed;
  try {
    parsed = analyse(q.expr);
  } catch (err) {
    return [`${q.where}: ${(err as Error).message}`];
  }
  const known = new Set(TARGET_LABELS);
  for (const s of parsed.selectors) {
    const r = resolve(s.name, metrics);
    if (!r) {
      out.push(`${q.where}: ${s.name} is not a metric the services register`);
      continue;
    }
    for (const l of r.labels) known.add(l);
    for (const m of s.matchers) {
      if (!r.labels.has(m.label) && !TARGET_LABELS.includes(m.label))
        out.push(`${q.where}: ${s.name} has no label ${m.label}`);
      const values = m.op === '=' ? [m.value] : m.op === '=~' ? m.value.split('|') : [];
      if (m.label === 'service')
        for (const v of values) if (!SERVICES.includes(v)) out.push(`${q.where}: no service ${v}`);
      if (m.label === 'check')
        for (const v of values) if (!readinessChecks.has(v)) out.push(`${q.where}: no readiness check ${v}`);
    }
  }
  for (const l of parsed.labels)
    if (!known.has(l)) out.push(`${q.where}: no metric of the query has the label ${l}`);
  return out;
}

describe('deploy/: the Grafana dashboard and the Prometheus alert rules', () => {
  let metrics: Map<string, Registered>;
  let readinessChecks: Set<string>;
  beforeAll(async () => {
    ({ metrics, readinessChecks } = await registeredMetrics());
    expect(readinessChecks).toEqual(
      new Set([
        'bus',
        'presence',
        'delivering',
        'store',
        'consuming',
        'dictionaryStore',
        'reviewStore',
        'dictionary',
        'moderation',
        'roles',
      ]),
    );
  });
  const dashboard = dashboardQueries();
  const alerts = alertQueries();

  it('query only metrics and labels the services register, in valid PromQL', () => {
    expect(dashboard.length).toBeGreaterThan(30);
    expect(alerts.length).toBeGreaterThan(10);
    expect([...dashboard, ...alerts].flatMap((q) => problems(q, metrics, readinessChecks))).toEqual([]);
  });

  it('catches what it is for: an unknown metric, a wrong label, a bad service or check name, bad syntax', () => {
    const bad = (expr: string) => problems({ where: 'q', expr }, metrics, readinessChecks);
    expect(bad('rate(roomcast_gateway_sockets_total[5m])')).toEqual([
      'q: roomcast_gateway_sockets_total is not a metric the services register',
    ]);
    expect(bad('sum by (room) (roomcast_consumer_lag_records)')).toEqual([
      'q: no metric of the query has the label room',
    ]);
    expect(bad('roomcast_gateway_connections{service="gateway"}')).toEqual([
      'q: roomcast_gateway_connections has no label service',
      'q: no metric of the query has the label service',
    ]);
    expect(bad('roomcast_readiness_check{service=~"gateway|ingest", check="redis"}')).toEqual([
      'q: no service ingest',
      'q: no readiness check redis',
    ]);
    expect(bad('roomcast_gateway_rooms_bucket')).toEqual([
      'q: roomcast_gateway_rooms_bucket is not a metric the services register',
    ]);
    expect(bad('sum(rate(roomcast_gateway_flushes_total[5m])')[0]).toMatch(/PromQL syntax error/);
    expect(
      bad(
        'histogram_quantile(0.99, sum by (service, le) (rate(roomcast_consumer_hop_latency_seconds_bucket[$__rate_interval])))',
      ),
    ).toEqual([]);
  });

  it('the dashboard shows what the runbook relies on', () => {
    const used = new Set(
      dashboard.flatMap((q) =>
        analyse(q.expr).selectors.map((s) => s.name.replace(/_(bucket|sum|count)$/, '')),
      ),
    );
    for (const name of [
      'roomcast_gateway_e2e_latency_seconds',
      'roomcast_gateway_delivery_latency_seconds',
      'roomcast_consumer_hop_latency_seconds',
      'roomcast_consumer_lag_records',
      'roomcast_consumer_batch_records',
      'roomcast_gateway_fanout_sockets',
      'roomcast_gateway_connections',
      'roomcast_gateway_rooms',
      'roomcast_gateway_slow_consumer_closes_total',
      'roomcast_gateway_frames_dropped_total',
      'roomcast_dlq_writes_total',
      'roomcast_rate_limited_total',
      'roomcast_consumer_retries_total',
      'roomcast_readiness_check',
      'roomcast_gateway_catchups_incomplete_total',
    ])
      expect([name, used.has(name)]).toEqual([name, true]);
  });

  it('every alert links a section of docs/operations.md that exists', () => {
    const doc = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    // GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped.
    const anchors = new Set(
      [...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) =>
        (m[1] as string)
          .toLowerCase()
          .replace(/[^\w\s-]/g, '')
          .trim()
          .replace(/\s/g, '-'),
      ),
    );
    for (const { alert, runbook } of alertRunbooks()) {
      const [file, anchor] = runbook.split('#');
      expect([alert, file, anchors.has(anchor ?? '')]).toEqual([alert, 'docs/operations.md', true]);
      expect([alert, doc.includes(alert)]).toEqual([alert, true]);
    }
  });
});
