/** One sample of a scraped /metrics page: its labels and value. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Scrapes `url` (a service's /metrics); checks the content type prom-client serves. */
export async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  const type = res.headers.get('content-type');
  if (type !== 'text/plain; version=0.0.4; charset=utf-8') throw new Error(`${url}: content type ${type}`);
  return res.text();
}

/** The samples of metric `name` (e.g. `roomcast_consumer_hop_latency_seconds_count`) in Prometheus text. */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const braces = line[name.length] === '{' ? line.slice(name.length + 1, line.lastIndexOf('}')) : '';
    const labels: Record<string, string> = {};
    for (const m of braces.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1] as string] = m[2] as string;
    out.push({ labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
  }
  return out;
}

/** The value of the one sample of `name` whose labels include `labels`; NaN when there is none. */
export function sampleValue(
  text: string,
  name: string,
  labels: Record<string, string | RegExp> = {},
): number {
  const found = samples(text, name).filter((s) =>
    Object.entries(labels).every(([k, v]) =>
      typeof v === 'string' ? s.labels[k] === v : v.test(s.labels[k] ?? ''),
    ),
  );
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value ?? NaN;
}
