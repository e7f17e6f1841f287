/**
 * Checks the forms run as the user types. They mirror the server's rules (which stay the
 * authority: its field errors are shown the same way). Each returns an English message (a
 * translation key) or `undefined` when the value is fine.
 */

export type Check = (value: string) => string | undefined;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;
const VERSION = /^v?(0|[1-9]\d*|[xX*])(\.(0|[1-9]\d*|[xX*]))?(\.(0|[1-9]\d*|[xX*]))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const required: Check = (v) => (v.trim() === '' ? 'Required' : undefined);

/** An object name: a DNS-1123 subdomain of at most 253 characters. */
export const objectName: Check = (v) => {
  if (v === '') return 'Required';
  if (v.length > 253) return 'At most 253 characters';
  if (!DNS_SUBDOMAIN.test(v)) return 'Lower-case letters, digits, "-" and "."; start and end with a letter or digit';
  return undefined;
};

/** A DNS-1123 label of at most `max` characters (namespaces, cluster names). */
export const label =
  (max = 63): Check =>
  (v) => {
    if (v === '') return 'Required';
    if (v.length > max) return `At most ${max} characters`;
    if (!DNS_LABEL.test(v)) return 'Lower-case letters, digits and "-"; start and end with a letter or digit';
    return undefined;
  };

/** A URL with one of `schemes` and a host, written `scheme://host/...` (as Flux requires). */
export const urlWith =
  (...schemes: string[]): Check =>
  (v) => {
    if (v.trim() === '') return 'Required';
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)/.exec(v);
    if (!m) {
      // scp-like git addresses (git@host:org/repo): Flux only takes ssh://git@host/org/repo
      if (schemes.includes('ssh') && /^[\w.-]+@[\w.-]+:.+/.test(v)) return 'Write it as ssh://user@host/path';
      return 'Not a URL';
    }
    if (/\s/.test(v)) return 'A URL cannot contain spaces';
    if (!schemes.includes(m[1]))
      return `The URL must start with ${schemes.map((s) => `${s}://`).join(' or ')}`;
    if ((m[2].split('@').pop() ?? '') === '') return 'The URL has no host';
    try {
      new URL(v);
    } catch {
      return 'Not a URL';
    }
    return undefined;
  };

/** A Go duration such as `1m`, `5m30s`, `1h`. */
export const duration: Check = (v) =>
  v === '' ? undefined : DURATION.test(v) ? undefined : 'A duration such as 30s, 5m or 1h';

const SEMVER_MESSAGE = 'Not a semver range, e.g. 1.2.x, ^1.0.0 or >=1.0.0 <2.0.0';
const OPERATORS = ['', '=', '!=', '>', '<', '>=', '<=', '=<', '~', '~>', '^'];

/**
 * A semver range, in the syntax Flux takes (Masterminds): `1.2.x`, `>=1.0.0 <2.0.0`, `^1`, `*`,
 * `>= 1.2, < 3` (comparators joined by spaces or commas), `1.2 - 1.4` and `||` alternatives.
 * Empty is fine (the field is optional).
 */
export const semverRange: Check = (v) => {
  const s = v.trim();
  if (s === '' || s === '*') return undefined;
  for (const raw of s.split('||')) {
    const alt = raw.trim();
    if (alt === '') return SEMVER_MESSAGE;
    const hyphen = alt.split(' - ');
    if (hyphen.length === 2) {
      if (!VERSION.test(hyphen[0].trim()) || !VERSION.test(hyphen[1].trim())) return SEMVER_MESSAGE;
      continue;
    }
    const tokens = alt.replace(/,/g, ' ').split(/\s+/).filter(Boolean);
    for (let i = 0; i < tokens.length; i++) {
      const m = /^([<>=!~^]*)(.*)$/.exec(tokens[i]);
      if (!m || !OPERATORS.includes(m[1])) return SEMVER_MESSAGE;
      // an operator apart from its version: ">= 1.2"
      const version = m[2] === '' ? tokens[++i] : m[2];
      if (version === undefined || !VERSION.test(version)) return SEMVER_MESSAGE;
    }
  }
  return undefined;
};

/** A relative path in a source (no `..`). */
export const relativePath: Check = (v) => {
  if (v === '') return undefined;
  if (v.split('/').includes('..')) return 'The path must stay inside the source (no "..")';
  return undefined;
};

/** A YAML or JSON document that must parse to a map (or be empty). */
export const yamlMap =
  (parse: (s: string) => unknown): Check =>
  (v) => {
    if (v.trim() === '') return undefined;
    try {
      const x = parse(v);
      if (x === null || x === undefined) return undefined;
      if (typeof x !== 'object' || Array.isArray(x)) return 'Must be a map of keys to values';
      return undefined;
    } catch (e) {
      return `Not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    }
  };

/** Runs checks in order; the first message wins. */
export const all =
  (...checks: Check[]): Check =>
  (v) => {
    for (const c of checks) {
      const m = c(v);
      if (m) return m;
    }
    return undefined;
  };

/** Runs `checks` over `values`; the messages by field. */
export function validate<K extends string>(
  values: Record<K, string>,
  checks: Partial<Record<K, Check>>,
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const k of Object.keys(checks) as K[]) {
    const m = checks[k]?.(values[k] ?? '');
    if (m) out[k] = m;
  }
  return out;
}
