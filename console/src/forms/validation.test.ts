import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  all,
  duration,
  label,
  objectName,
  relativePath,
  required,
  semverRange,
  urlWith,
  validate,
  yamlMap,
} from './validation';

describe('objectName', () => {
  it('takes DNS-1123 subdomains', () => {
    for (const ok of ['podinfo', 'podinfo.v2', 'a', 'my-repo-1', 'a'.repeat(253)]) {
      expect(objectName(ok), ok).toBeUndefined();
    }
  });
  it('refuses the rest', () => {
    expect(objectName('')).toBe('Required');
    expect(objectName('a'.repeat(254))).toBe('At most 253 characters');
    for (const bad of ['Podinfo', 'podinfo_v2', '-a', 'a-', 'a..b', '.a', 'a b']) {
      expect(objectName(bad), bad).toMatch(/^Lower-case letters/);
    }
  });
});

describe('label', () => {
  it('takes DNS-1123 labels up to the limit', () => {
    expect(label()('member-1')).toBeUndefined();
    expect(label()('a'.repeat(63))).toBeUndefined();
    expect(label()('a'.repeat(64))).toBe('At most 63 characters');
    expect(label(10)('a'.repeat(11))).toBe('At most 10 characters');
    expect(label()('')).toBe('Required');
    expect(label()('a.b')).toMatch(/^Lower-case letters/);
    expect(label()('Member')).toMatch(/^Lower-case letters/);
  });
});

describe('urlWith', () => {
  const git = urlWith('http', 'https', 'ssh');
  const helm = urlWith('http', 'https');
  const oci = urlWith('oci');

  it('takes URLs of the allowed schemes', () => {
    expect(git('https://github.com/org/repo')).toBeUndefined();
    expect(git('http://gitea.local:3000/org/repo.git')).toBeUndefined();
    expect(git('ssh://git@github.com/org/repo')).toBeUndefined();
    expect(git('ssh://git@github.com:22/org/repo')).toBeUndefined();
    expect(helm('https://charts.example.com')).toBeUndefined();
    expect(oci('oci://ghcr.io/org/charts')).toBeUndefined();
  });

  it('names the schemes when another one is used', () => {
    expect(git('ftp://x')).toBe('The URL must start with http:// or https:// or ssh://');
    expect(helm('oci://ghcr.io/org/charts')).toBe('The URL must start with http:// or https://');
    expect(oci('https://ghcr.io/org/charts')).toBe('The URL must start with oci://');
    expect(helm('ssh://git@github.com/org/repo')).toBe('The URL must start with http:// or https://');
  });

  it('asks for ssh:// instead of an scp-like git address, which Flux refuses', () => {
    expect(git('git@github.com:org/repo.git')).toBe('Write it as ssh://user@host/path');
    // without ssh allowed it is just not a URL
    expect(helm('git@github.com:org/repo.git')).toBe('Not a URL');
  });

  it('refuses what is not a URL with a host', () => {
    expect(git('')).toBe('Required');
    expect(git('   ')).toBe('Required');
    expect(git('github.com/org/repo')).toBe('Not a URL');
    expect(helm('https:charts.example.com')).toBe('Not a URL');
    expect(helm('https:///path')).toBe('The URL has no host');
    expect(git('ssh://git@/org/repo')).toBe('The URL has no host');
    expect(helm('https://a b/')).toBe('A URL cannot contain spaces');
    expect(helm(' https://charts.example.com')).toBe('Not a URL');
    expect(helm('https://charts.example.com ')).toBe('A URL cannot contain spaces');
  });
});

describe('duration', () => {
  it('takes Go durations and empty', () => {
    for (const ok of ['', '30s', '5m', '1h', '1h30m', '1.5h', '500ms', '0s', '10us', '2µs', '5m30s']) {
      expect(duration(ok), ok).toBeUndefined();
    }
  });
  it('refuses the rest', () => {
    for (const bad of ['5', '5 m', 'm', '1d', '-1s', '1h-', 'soon', '1.5.5h']) {
      expect(duration(bad), bad).toBe('A duration such as 30s, 5m or 1h');
    }
  });
  it('is required when combined with required', () => {
    const interval = all(required, duration);
    expect(interval('')).toBe('Required');
    expect(interval('1m')).toBeUndefined();
    expect(interval('1x')).toBe('A duration such as 30s, 5m or 1h');
  });
});

describe('semverRange', () => {
  it('takes the ranges Flux takes', () => {
    for (const ok of [
      '',
      '*',
      '1.2.3',
      'v1.2.3',
      '1.2.x',
      '6.x',
      '^1',
      '~1.2',
      '~> 1.2',
      '>=1.0.0 <2.0.0',
      '>=1.0.0, <2.0.0',
      '>= 1.2, < 3',
      '=<1.4',
      '!=1.3.0',
      '1.2 - 1.4.5',
      '<1 || >=2.0.0-rc.1',
      '1.0.0-alpha.1+build.5',
    ]) {
      expect(semverRange(ok), ok).toBeUndefined();
    }
  });
  it('refuses bad ones', () => {
    const bad = ['latest', '>>1', '1.2.3.4', '1.a', '|| 1', '1 ||', '>=', '>= ', 'v', '=>1', '1.2 - ', '^'];
    for (const b of bad) {
      expect(semverRange(b), b).toBe('Not a semver range, e.g. 1.2.x, ^1.0.0 or >=1.0.0 <2.0.0');
    }
  });
});

describe('relativePath', () => {
  it('stays inside the source', () => {
    expect(relativePath('')).toBeUndefined();
    expect(relativePath('./deploy/prod')).toBeUndefined();
    expect(relativePath('deploy/../..')).toBe('The path must stay inside the source (no "..")');
    expect(relativePath('../x')).toBe('The path must stay inside the source (no "..")');
  });
});

describe('yamlMap', () => {
  const map = yamlMap(parse);
  it('takes maps and empty documents', () => {
    expect(map('')).toBeUndefined();
    expect(map('replicas: 2\nimage:\n  tag: v1')).toBeUndefined();
    expect(map('{"a": 1}')).toBeUndefined();
    expect(map('~')).toBeUndefined();
  });
  it('refuses lists, scalars and broken YAML', () => {
    expect(map('- a\n- b')).toBe('Must be a map of keys to values');
    expect(map('just text')).toBe('Must be a map of keys to values');
    expect(map('a: [1, 2')).toMatch(/^Not valid YAML: /);
  });
});

describe('validate', () => {
  it('returns the first message per field, and nothing for good values', () => {
    const checks = { name: objectName, url: urlWith('https'), interval: all(required, duration) };
    expect(validate({ name: 'ok', url: 'https://x', interval: '1m' }, checks)).toEqual({});
    expect(validate({ name: '', url: 'http://x', interval: 'x' }, checks)).toEqual({
      name: 'Required',
      url: 'The URL must start with https://',
      interval: 'A duration such as 30s, 5m or 1h',
    });
  });
});
