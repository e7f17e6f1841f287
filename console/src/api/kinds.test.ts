import i18n from '../i18n';
import { beforeEach, describe, expect, it } from 'vitest';
import { KINDS } from '../test/kinds';
import type { KindView } from './types';
import { byKind, byPlural, familyLabel, kindLabel, ofFamilies, pluralOf } from './kinds';

beforeEach(async () => {
  await i18n.changeLanguage('en');
});

describe('kinds from the API', () => {
  it('maps kinds to plurals and back', () => {
    expect(pluralOf(KINDS, 'GitRepository')).toBe('gitrepositories');
    expect(pluralOf(KINDS, 'ImageUpdateAutomation')).toBe('imageupdateautomations');
    expect(pluralOf(KINDS, 'Nothing')).toBeUndefined();
    expect(byPlural(KINDS, 'helmreleases')?.kind).toBe('HelmRelease');
    expect(byPlural(KINDS, undefined)).toBeUndefined();
    expect(byKind(KINDS, 'Bucket')?.credentialTypes).toEqual(['s3']);
  });

  it('picks the kinds of families in the order the API gives', () => {
    expect(ofFamilies(KINDS, 'source').map((k) => k.kind)).toEqual([
      'GitRepository',
      'HelmRepository',
      'HelmChart',
      'Bucket',
      'OCIRepository',
    ]);
    expect(ofFamilies(KINDS, 'notification', 'image').map((k) => k.plural)).toEqual([
      'providers',
      'alerts',
      'receivers',
      'imagerepositories',
      'imagepolicies',
      'imageupdateautomations',
    ]);
  });

  it('follows a list with a kind the console has never seen', () => {
    const extra: KindView = {
      kind: 'ArtifactGenerator',
      group: 'source.extensions.fluxcd.io',
      version: 'v1beta1',
      plural: 'artifactgenerators',
      family: 'source',
      actions: ['reconcile'],
      credentialTypes: [],
      tls: false,
    };
    const kinds = [...KINDS, extra];
    expect(ofFamilies(kinds, 'source').map((k) => k.plural)).toContain('artifactgenerators');
    expect(pluralOf(kinds, 'ArtifactGenerator')).toBe('artifactgenerators');
    // No translation: its kind is its name.
    expect(kindLabel(i18n.t, 'ArtifactGenerator', 'plural')).toBe('ArtifactGenerator');
  });

  it('names kinds and families in the current language', async () => {
    expect(kindLabel(i18n.t, 'GitRepository', 'plural')).toBe('Git repositories');
    expect(kindLabel(i18n.t, 'GitRepository', 'singular')).toBe('Git repository');
    expect(familyLabel(i18n.t, 'image')).toBe('Image automation');
    await i18n.changeLanguage('zh-CN');
    expect(kindLabel(i18n.t, 'ImagePolicy', 'plural')).toBe('镜像策略');
    expect(familyLabel(i18n.t, 'notification')).toBe('通知');
  });
});
