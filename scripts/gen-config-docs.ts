/**
 * Renders docs/configuration.md from each service's env schema, so the page cannot drift from the
 * code (test/docs.unit.test.ts fails when it does). Run: `pnpm exec tsx scripts/gen-config-docs.ts`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { configSchema as ingest } from '../services/chat-ingest/src/config';
import { configSchema as embedded } from '../services/embedded/src/config';
import { configSchema as filter } from '../services/filter/src/config';
import { configSchema as gateway } from '../services/gateway/src/config';
import { configSchema as notification } from '../services/notification/src/config';
import { configSchema as persistence } from '../services/persistence/src/config';

const SERVICES: [string, z.ZodObject][] = [
  ['gateway', gateway],
  ['chat-ingest', ingest],
  ['filter', filter],
  ['persistence', persistence],
  ['notification', notification],
  ['embedded (`pnpm start`)', embedded],
];

interface Def {
  type?: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  in?: z.ZodType;
}

function describe(schema: z.ZodType): { required: boolean; def: string | undefined; description: string } {
  let s: z.ZodType = schema;
  let required = true;
  let def: string | undefined;
  let description = schema.description ?? '';
  for (let i = 0; i < 6; i++) {
    const d = (s as unknown as { def: Def }).def;
    if (!description && s.description) description = s.description;
    if (d.type === 'default') {
      required = false;
      // The outermost default wins (a service overriding a shared default wraps it again).
      const v = typeof d.defaultValue === 'function' ? (d.defaultValue as () => unknown)() : d.defaultValue;
      def ??= Array.isArray(v) ? v.join(',') : String(v);
      s = d.innerType as z.ZodType;
    } else if (d.type === 'optional') {
      required = false;
      s = d.innerType as z.ZodType;
    } else if (d.type === 'pipe' && d.in) {
      s = d.in;
    } else break;
  }
  return { required, def, description };
}

export function renderConfigMarkdown(): string {
  const out = [
    '# Configuration',
    '',
    '<!-- Generated from services/*/src/config.ts by `pnpm exec tsx scripts/gen-config-docs.ts`. Do not edit. -->',
    '',
    'Every service reads environment variables once at start (`main.ts`), validates them with zod and',
    'refuses to start with ONE error listing every bad or missing variable. Secrets (`*_SECRET`,',
    '`*_PASSWORD`, `*_TOKEN`, credentials inside URLs) are redacted in the start-up log line.',
    '',
  ];
  for (const [name, schema] of SERVICES) {
    out.push(`## ${name}`, '', '| variable | required | default | description |', '|---|---|---|---|');
    for (const [key, field] of Object.entries(schema.shape)) {
      const f = field as z.ZodType;
      const d = describe(f);
      const desc = d.description.replace(/\|/g, '\\|');
      out.push(`| \`${key}\` | ${d.required ? 'yes' : 'no'} | ${d.def === undefined || d.def === '' ? '' : `\`${d.def}\``} | ${desc} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

if (require.main === module) {
  const file = join(__dirname, '..', 'docs', 'configuration.md');
  writeFileSync(file, renderConfigMarkdown());
  console.log(`wrote ${file}`);
}
