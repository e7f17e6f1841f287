/**
 * Every text the console translates has a Simplified Chinese entry: the literal keys of
 * `t('…')` calls in the sources, the validation messages, and the labels pages pass to `t`
 * through variables (listed in `common.json`, which this test cannot find by itself).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kindKey } from '../api/kinds';
import { KINDS } from '../test/kinds';
import { en } from './index';
import { zhCN } from './zh';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return files(p);
    return /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) && !f.endsWith('schema.ts') ? [p] : [];
  });
}

const root = join(__dirname, '..');

function usedKeys(): Set<string> {
  const keys = new Set<string>();
  for (const f of files(root)) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(/\bt\(\s*'((?:[^'\\]|\\.)+)'/g)) keys.add(m[1].replace(/\\'/g, "'"));
    for (const m of src.matchAll(/\bt\(\s*"((?:[^"\\]|\\.)+)"/g)) keys.add(m[1]);
  }
  return keys;
}

function validationMessages(): Set<string> {
  const src = readFileSync(join(root, 'forms/validation.ts'), 'utf8');
  const out = new Set<string>();
  for (const m of src.matchAll(/(?:return|\?|:)\s*'([A-Z][^']*)'/g)) out.add(m[1]);
  return out;
}

describe('Simplified Chinese', () => {
  it('translates every key the console uses', () => {
    const missing = [...usedKeys()].filter((k) => !(k in zhCN));
    expect(missing).toEqual([]);
  });

  it('translates every validation message', () => {
    const missing = [...validationMessages()].filter(
      (k) => !(k in zhCN) && !k.startsWith('At most') && !k.startsWith('Not valid YAML'),
    );
    expect(missing).toEqual([]);
  });

  it('translates each key the same way in every part', () => {
    const dir = join(__dirname, 'locales/zh-CN');
    const seen = new Map<string, string>();
    const clashes: string[] = [];
    for (const f of readdirSync(dir)) {
      const part = JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, string>;
      for (const [k, v] of Object.entries(part)) {
        const before = seen.get(k);
        if (before !== undefined && before !== v) clashes.push(`${k}: ${before} / ${v} (${f})`);
        seen.set(k, v);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('has no empty translations', () => {
    expect(Object.entries(zhCN).filter(([, v]) => !v.trim())).toEqual([]);
  });
});

describe('kind names', () => {
  it('names every kind the API serves, in both languages', () => {
    const keys = KINDS.flatMap((k) => [kindKey(k.kind, 'plural'), kindKey(k.kind, 'singular')]);
    expect(keys.filter((k) => !(k in en))).toEqual([]);
    expect(keys.filter((k) => !(k in zhCN))).toEqual([]);
  });

  it('translates every English entry', () => {
    expect(Object.keys(en).filter((k) => !(k in zhCN))).toEqual([]);
  });
});
