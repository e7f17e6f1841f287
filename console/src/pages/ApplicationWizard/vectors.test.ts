/**
 * The merge rules' shared test vectors (`crates/ksflux/src/applications/merge-vectors.json`),
 * also run by `cargo test`: the wizard's rendered column and the server agree.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Image, Json, Patch } from '../../api/types';
import { mergeAppend, mergeImages, mergePatches, mergeReplace, mergeSubstitute, stripNulls, targetValues } from './merge';

type Case = { name: string; field?: string; base?: unknown; override?: unknown; expected: unknown };
const vectors = JSON.parse(
  // Vitest runs in console/.
  readFileSync(resolve(process.cwd(), '../crates/ksflux/src/applications/merge-vectors.json'), 'utf8'),
) as Record<'values' | 'images' | 'patches' | 'substitute' | 'replace' | 'append', Case[]>;

describe('shared merge vectors', () => {
  it.each(vectors.values.map((c) => [c.name, c] as const))('values: %s', (_, c) => {
    const over = 'override' in c ? { values: c.override as Json } : undefined;
    expect(targetValues(c.base as Json | undefined, over) ?? null).toEqual(c.expected);
  });
  it.each(vectors.images.map((c) => [c.name, c] as const))('images: %s', (_, c) => {
    expect(stripNulls(mergeImages(c.base as Image[], (c.override ?? []) as Image[]))).toEqual(c.expected);
  });
  it.each(vectors.patches.map((c) => [c.name, c] as const))('patches: %s', (_, c) => {
    expect(mergePatches(c.base as Patch[], c.override as Patch[])).toEqual(c.expected);
  });
  it.each(vectors.substitute.map((c) => [c.name, c] as const))('substitute: %s', (_, c) => {
    expect(mergeSubstitute(c.base as Record<string, string>, c.override as Record<string, string>)).toEqual(c.expected);
  });
  it.each(vectors.replace.map((c) => [c.name, c] as const))('replace: %s', (_, c) => {
    expect(mergeReplace(c.base, c.override) ?? null).toEqual(c.expected);
  });
  it.each(vectors.append.map((c) => [c.name, c] as const))('append: %s', (_, c) => {
    expect(mergeAppend(c.base as unknown[] | undefined, c.override as unknown[] | undefined)).toEqual(c.expected);
  });
});
