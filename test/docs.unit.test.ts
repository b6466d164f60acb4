import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigMarkdown } from '../scripts/gen-config-docs';

describe('docs/configuration.md', () => {
  it('matches the env schemas of the services', () => {
    const onDisk = readFileSync(join(__dirname, '..', 'docs', 'configuration.md'), 'utf8');
    // Regenerate with `pnpm exec tsx scripts/gen-config-docs.ts` after changing a config.ts.
    expect(onDisk).toBe(renderConfigMarkdown());
    expect(onDisk).toContain('`KAFKA_BROKERS`');
    expect(onDisk).toContain('`JWT_SECRET`');
  });
});
