/**
 * Helm values as the wizard checks them while they are typed: YAML syntax errors with their
 * line, and the chart's `values.schema.json` applied to the values Helm would install (the
 * chart's defaults with the application's values merged over them, as Helm coalesces them),
 * each violation named by its value path (`image.tag`, `ports[0]`) and placed on the line of
 * the text that sets it. The schema check is a small JSON Schema (draft 4 to 2020-12) validator
 * of the keywords charts use; unknown keywords and `format` are ignored, as Helm ignores
 * unknown formats. Pure: no React, unit-tested on its own.
 */
import { LineCounter, isMap as isYamlMap, isSeq, isScalar, parseDocument, type Node } from 'yaml';
import type { Json } from '../../api/types';
import { isMap, mergeValues } from './merge';

/** One problem of a values text: where, and what (a translation key with its arguments). */
export interface Problem {
  /** The 1-based line of the text it is on, when it is on one. */
  line?: number;
  /** The value path it is about (`image.tag`), for schema problems. */
  path?: string;
  /** A translation key. */
  message: string;
  /** The key's arguments. */
  params?: Record<string, string | number>;
}

/** The most problems reported for one text. */
const MAX_PROBLEMS = 50;

/** The YAML problems of `text` (empty when it is a map, empty or null), each on its line. */
export function yamlProblems(text: string): Problem[] {
  if (text.trim() === '') return [];
  const doc = parseDocument(text);
  if (doc.errors.length) {
    return doc.errors.slice(0, MAX_PROBLEMS).map((e) => ({
      line: e.linePos?.[0].line,
      message: 'Not valid YAML: {{error}}',
      params: { error: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '') },
    }));
  }
  const v: unknown = doc.toJS();
  if (v === null || v === undefined || isMap(v)) return [];
  return [{ line: 1, message: 'Must be a map of keys to values' }];
}

/** A JSON Schema (the parts of it that are read). */
export type Schema = Json | boolean;

/** The JSON type of a value, as JSON Schema names it. */
function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function hasType(v: unknown, type: string): boolean {
  const actual = typeOf(v);
  return actual === type || (type === 'number' && actual === 'integer');
}

/** Structural equality of JSON values (enum, const). */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equal(a[k], b[k]));
  }
  return false;
}

/** A value path in Helm's notation: `image.tag`, `ports[0]`, `labels["app.kubernetes.io/name"]`. */
export function pathText(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** One schema violation before it is placed on a line. */
interface Violation {
  path: (string | number)[];
  message: string;
  params?: Record<string, string | number>;
}

/** Validates `value` against `schema` (its root is `root`, for `$ref`). */
function check(
  value: unknown,
  schema: Schema | undefined,
  root: Schema,
  path: (string | number)[],
  out: Violation[],
  depth: number,
): void {
  if (out.length >= MAX_PROBLEMS || schema === undefined || schema === true) return;
  if (schema === false) {
    out.push({ path, message: 'Not allowed by the chart' });
    return;
  }
  if (depth > 64) return;
  const s = schema;
  const add = (message: string, params?: Record<string, string | number>) => out.push({ path, message, params });

  if (typeof s.$ref === 'string') {
    const target = resolveRef(root, s.$ref);
    if (target !== undefined) check(value, target, root, path, out, depth + 1);
    // Before 2019-09 `$ref` replaces its siblings; later it does not. Both read the same
    // for the schemas charts ship, which rarely put keywords beside `$ref`.
  }
  const types = typeof s.type === 'string' ? [s.type] : Array.isArray(s.type) ? s.type.map(String) : [];
  if (types.length && !types.some((t) => hasType(value, t))) {
    add('Must be of type {{type}}, not {{actual}}', { type: types.join(' or '), actual: typeOf(value) });
    return;
  }
  if (Array.isArray(s.enum) && !s.enum.some((e) => equal(e, value))) {
    add('Must be one of {{values}}', { values: s.enum.map(show).join(', ') });
  }
  if ('const' in s && !equal(s.const, value)) add('Must be {{value}}', { value: show(s.const) });

  if (typeof value === 'number') {
    const min = num(s.minimum);
    const max = num(s.maximum);
    const exMin = num(s.exclusiveMinimum) ?? (s.exclusiveMinimum === true ? min : undefined);
    const exMax = num(s.exclusiveMaximum) ?? (s.exclusiveMaximum === true ? max : undefined);
    if (exMin !== undefined && value <= exMin) add('Must be greater than {{n}}', { n: exMin });
    else if (min !== undefined && value < min) add('Must be at least {{n}}', { n: min });
    if (exMax !== undefined && value >= exMax) add('Must be less than {{n}}', { n: exMax });
    else if (max !== undefined && value > max) add('Must be at most {{n}}', { n: max });
    const m = num(s.multipleOf);
    if (m && Math.abs(value / m - Math.round(value / m)) > 1e-9) add('Must be a multiple of {{n}}', { n: m });
  }
  if (typeof value === 'string') {
    const len = [...value].length;
    const minL = num(s.minLength);
    const maxL = num(s.maxLength);
    if (minL !== undefined && len < minL) {
      add(minL === 1 ? 'Must not be empty' : 'At least {{n}} characters', { n: minL });
    }
    if (maxL !== undefined && len > maxL) add('At most {{n}} characters', { n: maxL });
    if (typeof s.pattern === 'string') {
      let re: RegExp | undefined;
      try {
        re = new RegExp(s.pattern, 'u');
      } catch {
        re = undefined;
      }
      if (re && !re.test(value)) add('Must match {{pattern}}', { pattern: s.pattern });
    }
  }
  if (Array.isArray(value)) {
    const minI = num(s.minItems);
    const maxI = num(s.maxItems);
    if (minI !== undefined && value.length < minI) add('At least {{n}} items', { n: minI });
    if (maxI !== undefined && value.length > maxI) add('At most {{n}} items', { n: maxI });
    if (s.uniqueItems === true && value.some((x, i) => value.findIndex((y) => equal(x, y)) !== i)) {
      add('Items must be unique');
    }
    // `items` as a list (draft 4-7) or `prefixItems` (2020-12) describe positions.
    const tuple = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : undefined;
    const rest = tuple ? (Array.isArray(s.items) ? s.additionalItems : s.items) : s.items;
    value.forEach((x, i) => {
      const itemSchema = tuple && i < tuple.length ? tuple[i] : rest;
      check(x, itemSchema as Schema | undefined, root, [...path, i], out, depth + 1);
    });
  }
  if (isMap(value)) {
    const props = isMap(s.properties) ? s.properties : {};
    const patterns = isMap(s.patternProperties) ? Object.entries(s.patternProperties) : [];
    if (Array.isArray(s.required)) {
      for (const r of s.required) {
        if (typeof r === 'string' && !(r in value)) {
          out.push({ path: [...path, r], message: 'Required' });
        }
      }
    }
    const keys = Object.keys(value);
    const minP = num(s.minProperties);
    const maxP = num(s.maxProperties);
    if (minP !== undefined && keys.length < minP) add('At least {{n}} keys', { n: minP });
    if (maxP !== undefined && keys.length > maxP) add('At most {{n}} keys', { n: maxP });
    for (const k of keys) {
      let described = false;
      if (k in props) {
        described = true;
        check(value[k], props[k] as Schema, root, [...path, k], out, depth + 1);
      }
      for (const [pattern, sub] of patterns) {
        let re: RegExp | undefined;
        try {
          re = new RegExp(pattern, 'u');
        } catch {
          re = undefined;
        }
        if (re?.test(k)) {
          described = true;
          check(value[k], sub as Schema, root, [...path, k], out, depth + 1);
        }
      }
      if (!described && s.additionalProperties !== undefined) {
        if (s.additionalProperties === false) {
          out.push({ path: [...path, k], message: 'The chart does not take this key' });
        } else {
          check(value[k], s.additionalProperties as Schema, root, [...path, k], out, depth + 1);
        }
      }
    }
  }
  if (Array.isArray(s.allOf)) for (const sub of s.allOf) check(value, sub as Schema, root, path, out, depth + 1);
  const passes = (sub: unknown) => {
    const tmp: Violation[] = [];
    check(value, sub as Schema, root, path, tmp, depth + 1);
    return tmp.length === 0;
  };
  if (Array.isArray(s.anyOf) && !s.anyOf.some(passes)) add('Matches none of the shapes the chart allows');
  if (Array.isArray(s.oneOf) && s.oneOf.filter(passes).length !== 1) add('Must match exactly one shape the chart allows');
  if (s.not !== undefined && passes(s.not)) add('Not allowed by the chart');
  if (s.if !== undefined) {
    const branch = passes(s.if) ? s.then : s.else;
    if (branch !== undefined) check(value, branch as Schema, root, path, out, depth + 1);
  }
}

/** The schema a local `$ref` (`#/definitions/x`, `#/$defs/x`, `#`) points at. */
function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isMap(cur) && !Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return typeof cur === 'boolean' || isMap(cur) ? cur : undefined;
}

/** The violations of `value` against `schema`, each with its value path. */
export function schemaProblems(value: unknown, schema: Schema): { path: (string | number)[]; message: string; params?: Record<string, string | number> }[] {
  const out: Violation[] = [];
  check(value, schema, schema, [], out, 0);
  return out;
}

/**
 * The 1-based line of `text` that sets the value at `path`, or of its nearest parent the text
 * sets (a missing required key is reported on its parent's line); `undefined` when the text
 * sets none of it.
 */
export function lineOf(text: string, path: readonly (string | number)[]): number | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) return undefined;
  let node: Node | null | undefined = doc.contents as Node | null;
  let line: number | undefined;
  for (const p of path) {
    let next: Node | null | undefined;
    let at: number | undefined;
    if (isYamlMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(p));
      if (pair && isScalar(pair.key) && pair.key.range) at = pair.key.range[0];
      next = pair?.value as Node | null | undefined;
    } else if (isSeq(node) && typeof p === 'number') {
      next = node.items[p] as Node | null | undefined;
      if (next && next.range) at = next.range[0];
    }
    if (at === undefined) break;
    line = lines.linePos(at).line;
    node = next;
  }
  return line;
}

/** What the chart gives the editor: its default values and its schema. */
export interface ChartDefaults {
  /** The chart's `values.yaml`, parsed (an empty map when it has none or it does not parse). */
  values: Json;
  /** Its `values.schema.json`, when it has one. */
  schema?: Schema;
}

/**
 * The problems of the values `text`: its YAML errors; else the schema violations of the
 * values Helm would get — `defaults`, then each of `under` (values already merged over the
 * defaults, such as the application's base values under a target's), then the text's map —
 * placed on the lines of `text` that set them.
 */
export function valuesProblems(text: string, chart: ChartDefaults | undefined, under: Json[] = []): Problem[] {
  const syntax = yamlProblems(text);
  if (syntax.length || !chart?.schema) return syntax;
  const own: unknown = text.trim() === '' ? {} : parseDocument(text).toJS();
  let merged: unknown = chart.values;
  for (const layer of [...under, isMap(own) ? own : {}]) merged = mergeValues(merged, layer);
  return schemaProblems(merged, chart.schema).map((v) => ({
    line: lineOf(text, v.path),
    path: pathText(v.path),
    message: v.message,
    params: v.params,
  }));
}

/** The chart defaults of a `ChartValues` answer: its values parsed, its schema. */
export function chartDefaults(values: string, schema: unknown): ChartDefaults {
  let parsed: unknown;
  try {
    const doc = parseDocument(values);
    parsed = doc.errors.length ? undefined : doc.toJS();
  } catch {
    parsed = undefined;
  }
  const s = isMap(schema) || typeof schema === 'boolean' ? schema : undefined;
  return { values: isMap(parsed) ? parsed : {}, ...(s !== undefined ? { schema: s } : {}) };
}
