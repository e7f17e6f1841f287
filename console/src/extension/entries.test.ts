/**
 * The extension's menus live twice: in the bundle (`menus`, used when KubeSphere has no
 * ExtensionEntry) and in the chart's ExtensionEntry (`deploy/extension/ksflux/charts/frontend/
 * values.yaml`, which KubeSphere prefers). They must be the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { locales } from './locales';
import { menus } from './routes';

const values = parse(
  readFileSync(join(__dirname, '../../../deploy/extension/ksflux/charts/frontend/values.yaml'), 'utf8'),
) as { entries: unknown[] };

describe('extension menus', () => {
  it('equal the ExtensionEntry of the chart', () => {
    expect(values.entries).toEqual(menus);
  });

  it('have every title and description in English and Chinese', () => {
    const keys = (list: { title: string; desc?: string; children?: { title: string }[] }[]): string[] =>
      list.flatMap((m) => [m.title, ...(m.desc ? [m.desc] : []), ...keys((m.children ?? []) as typeof list)]);
    for (const k of keys(menus)) {
      expect(locales.en[k], k).toBeTruthy();
      expect(locales.zh[k], k).toBeTruthy();
      expect(locales.zh[k], k).not.toBe(k);
    }
  });
});

describe('extension routes', () => {
  it('nest workspace and project pages into KubeSphere layouts, below their own path', async () => {
    const { routes } = await import('./routes');
    for (const r of routes) {
      if (r.parentRoute) expect(r.path?.startsWith(`${r.parentRoute}/`), r.path).toBe(true);
    }
    expect(routes.map((r) => r.parentRoute ?? null)).toEqual([
      null,
      '/workspaces/:workspace',
      '/:workspace/clusters/:cluster/projects/:namespace',
    ]);
  });
});
