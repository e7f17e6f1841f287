import { describe, expect, it } from 'vitest';
import {
  chartDefaults,
  lineOf,
  pathText,
  schemaProblems,
  valuesProblems,
  yamlProblems,
  type Schema,
} from './values';

/** The demo-app chart's schema, as the testbed's Helm repository serves it. */
const DEMO: Schema = {
  type: 'object',
  properties: {
    replicaCount: { type: 'integer', minimum: 0, maximum: 100 },
    message: { type: 'string', maxLength: 200 },
    image: {
      type: 'object',
      properties: { repository: { type: 'string', minLength: 1 }, tag: { type: 'string', minLength: 1 } },
      required: ['repository', 'tag'],
    },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    resources: {
      type: 'object',
      properties: { requests: { type: 'object' }, limits: { type: 'object' } },
      additionalProperties: false,
    },
  },
};
const DEFAULTS = chartDefaults(
  'replicaCount: 1\nmessage: hello\nimage:\n  repository: example.local/demo/app\n  tag: 1.0.0\nlabels: {}\n',
  DEMO,
);

const messages = (problems: { path?: string; message: string; line?: number }[]) =>
  problems.map((p) => `${p.line ?? '-'} ${p.path ?? ''}: ${p.message}`);

describe('yamlProblems', () => {
  it('names the line of a syntax error', () => {
    const p = yamlProblems('replicaCount: 1\nimage:\n  tag: [1.0\nmessage: x\n');
    expect(p.length).toBeGreaterThan(0);
    expect(p[0].message).toBe('Not valid YAML: {{error}}');
    expect(p[0].line).toBeGreaterThanOrEqual(3);
    expect(String(p[0].params?.error)).not.toMatch(/at line/);
  });

  it('accepts empty text, null and maps; refuses other documents', () => {
    expect(yamlProblems('')).toEqual([]);
    expect(yamlProblems('# nothing\n')).toEqual([]);
    expect(yamlProblems('a: 1')).toEqual([]);
    expect(yamlProblems('- 1\n- 2\n')).toEqual([{ line: 1, message: 'Must be a map of keys to values' }]);
  });

  it('reports a repeated key on its line', () => {
    const p = yamlProblems('a: 1\nb: 2\na: 3\n');
    expect(p[0].line).toBe(3);
  });
});

describe('schemaProblems', () => {
  it('checks types, bounds, lengths, enums and patterns, naming the value path', () => {
    const schema: Schema = {
      type: 'object',
      properties: {
        n: { type: 'integer', minimum: 1, maximum: 3 },
        x: { type: 'number', exclusiveMinimum: 0, multipleOf: 0.5 },
        s: { type: 'string', pattern: '^[a-z]+$', minLength: 2 },
        e: { enum: ['a', 'b'] },
        c: { const: true },
        list: { type: 'array', maxItems: 2, items: { type: 'string' }, uniqueItems: true },
        nullable: { type: ['string', 'null'] },
      },
    };
    const got = schemaProblems(
      { n: 1.5, x: 0.7, s: 'A', e: 'c', c: false, list: ['a', 'a', 3], nullable: null },
      schema,
    ).map((v) => `${pathText(v.path)}: ${v.message}`);
    expect(got).toEqual([
      'n: Must be of type {{type}}, not {{actual}}',
      'x: Must be a multiple of {{n}}',
      's: At least {{n}} characters',
      's: Must match {{pattern}}',
      'e: Must be one of {{values}}',
      'c: Must be {{value}}',
      'list: At most {{n}} items',
      'list: Items must be unique',
      'list[2]: Must be of type {{type}}, not {{actual}}',
    ]);
    expect(schemaProblems({ n: 0 }, schema)[0].params).toEqual({ n: 1 });
    expect(schemaProblems({ n: 4 }, schema)[0].message).toBe('Must be at most {{n}}');
  });

  it('follows required, additionalProperties, patternProperties and local $refs', () => {
    const schema: Schema = {
      type: 'object',
      definitions: { port: { type: 'integer', minimum: 1, maximum: 65535 } },
      properties: {
        service: {
          type: 'object',
          properties: { port: { $ref: '#/definitions/port' } },
          required: ['port'],
          additionalProperties: false,
        },
        env: { type: 'object', patternProperties: { '^[A-Z_]+$': { type: 'string' } }, additionalProperties: false },
      },
    };
    const got = schemaProblems({ service: { portt: 80 }, env: { OK: 'x', bad: 'y', N: 1 } }, schema).map(
      (v) => `${pathText(v.path)}: ${v.message}`,
    );
    expect(got).toEqual([
      'service.port: Required',
      'service.portt: The chart does not take this key',
      'env.bad: The chart does not take this key',
      'env.N: Must be of type {{type}}, not {{actual}}',
    ]);
    expect(schemaProblems({ service: { port: 70000 } }, schema).map((v) => pathText(v.path))).toEqual(['service.port']);
  });

  it('combines with allOf, anyOf, oneOf, not and if/then/else', () => {
    const schema: Schema = {
      properties: {
        a: { anyOf: [{ type: 'string' }, { type: 'integer' }] },
        o: { oneOf: [{ type: 'integer' }, { type: 'number' }] },
        n: { not: { type: 'null' } },
        all: { allOf: [{ type: 'integer' }, { minimum: 5 }] },
      },
      if: { properties: { mode: { const: 'ha' } }, required: ['mode'] },
      then: { required: ['replicas'] },
    };
    const got = schemaProblems({ a: true, o: 1, n: null, all: 3, mode: 'ha' }, schema).map(
      (v) => `${pathText(v.path)}: ${v.message}`,
    );
    expect(got).toEqual([
      'a: Matches none of the shapes the chart allows',
      'o: Must match exactly one shape the chart allows',
      'n: Not allowed by the chart',
      'all: Must be at least {{n}}',
      'replicas: Required',
    ]);
  });

  it('writes paths the way Helm does', () => {
    expect(pathText(['image', 'tag'])).toBe('image.tag');
    expect(pathText(['ports', 0, 'name'])).toBe('ports[0].name');
    expect(pathText(['labels', 'app.kubernetes.io/name'])).toBe('labels["app.kubernetes.io/name"]');
    expect(pathText([])).toBe('');
  });
});

describe('lineOf', () => {
  const text = 'replicaCount: 1\nimage:\n  repository: x\n  tag: 2\nports:\n  - 80\n  - name: http\n';
  it('finds the line that sets a path, or its nearest parent', () => {
    expect(lineOf(text, ['replicaCount'])).toBe(1);
    expect(lineOf(text, ['image', 'tag'])).toBe(4);
    expect(lineOf(text, ['ports', 1, 'name'])).toBe(7);
    expect(lineOf(text, ['image', 'pullPolicy'])).toBe(2);
    expect(lineOf(text, ['missing'])).toBeUndefined();
  });
});

describe('valuesProblems', () => {
  it('checks the values Helm gets: the defaults with the text merged over them', () => {
    expect(valuesProblems('replicaCount: 3\n', DEFAULTS)).toEqual([]);
    expect(messages(valuesProblems('message: hi\nreplicaCount: three\n', DEFAULTS))).toEqual([
      '2 replicaCount: Must be of type {{type}}, not {{actual}}',
    ]);
    // Deleting a required key of the defaults is caught on the line that deletes it.
    expect(messages(valuesProblems('image:\n  tag: null\n', DEFAULTS))).toEqual(['2 image.tag: Required']);
    // A key the defaults set but the text does not is on no line.
    const strict = chartDefaults('replicaCount: -1\n', DEMO);
    expect(messages(valuesProblems('message: x\n', strict))).toEqual(['- replicaCount: Must be at least {{n}}']);
  });

  it('merges the values under the text (the base under a target)', () => {
    // The base's bad key is not in the text: its nearest parent there carries it.
    expect(messages(valuesProblems('labels:\n  team: web\n', DEFAULTS, [{ labels: { tier: 1 } }]))).toEqual([
      '1 labels.tier: Must be of type {{type}}, not {{actual}}',
    ]);
    expect(messages(valuesProblems('message: x\n', DEFAULTS, [{ labels: { tier: 1 } }]))).toEqual([
      '- labels.tier: Must be of type {{type}}, not {{actual}}',
    ]);
  });

  it('reports YAML errors first, and nothing more without a schema', () => {
    expect(valuesProblems('a: [', DEFAULTS)[0].message).toBe('Not valid YAML: {{error}}');
    expect(valuesProblems('replicaCount: x\n', chartDefaults('', undefined))).toEqual([]);
    expect(valuesProblems('replicaCount: x\n', undefined)).toEqual([]);
  });
});

describe('chartDefaults', () => {
  it('parses the values and keeps an object schema', () => {
    expect(DEFAULTS.values.replicaCount).toBe(1);
    expect(chartDefaults('not: [valid', null)).toEqual({ values: {} });
    expect(chartDefaults('', 'nonsense')).toEqual({ values: {} });
  });
});
