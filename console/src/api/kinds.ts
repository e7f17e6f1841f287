/**
 * What the console derives from the kinds the API serves (`GET /kinds`): which kinds a page
 * shows, a kind's plural, and its name for people. The console keeps no list of kinds; each
 * function takes the list the API gave. Pure, so it is unit-tested with a fixture.
 */
import type { TFunction } from 'i18next';
import type { Family, KindView } from './types';

/** The kind named `kind`, if the API serves it. */
export function byKind(kinds: readonly KindView[], kind: string): KindView | undefined {
  return kinds.find((k) => k.kind === kind);
}

/** The kind whose plural (the `{resource}` of the API's paths) is `plural`. */
export function byPlural(kinds: readonly KindView[], plural: string | undefined): KindView | undefined {
  return plural === undefined ? undefined : kinds.find((k) => k.plural === plural);
}

/** The plural of `kind`, if the API serves it. */
export function pluralOf(kinds: readonly KindView[], kind: string): string | undefined {
  return byKind(kinds, kind)?.plural;
}

/** The kinds of `families`, in the API's order. */
export function ofFamilies(kinds: readonly KindView[], ...families: Family[]): KindView[] {
  return kinds.filter((k) => families.includes(k.family));
}

/** The translation key of a kind's name (`kinds.<Kind>.plural` or `.singular`). */
export function kindKey(kind: string, form: 'plural' | 'singular'): string {
  return `kinds.${kind}.${form}`;
}

/** A kind's name for people, e.g. "Git repositories"; the kind itself when it has no translation. */
export function kindLabel(t: TFunction, kind: string, form: 'plural' | 'singular'): string {
  return t(kindKey(kind, form), { defaultValue: kind });
}

/** A family's name for people (a heading over its kinds). */
export function familyLabel(t: TFunction, family: Family): string {
  switch (family) {
    case 'application':
      return t('Applications');
    case 'source':
      return t('Sources');
    case 'delivery':
      return t('Delivery');
    case 'notification':
      return t('Notifications');
    case 'image':
      return t('Image automation');
  }
}
