/**
 * `@kubed/icons` is CommonJS and re-exports ~2,600 icons from one index, so a named import
 * pulls every icon into the bundle. This plugin rewrites each named import from
 * `@kubed/icons` (in our sources and in `@kubed/components`) into a default import of the
 * icon's own file, e.g. `import { Add as A } from '@kubed/icons'` becomes
 * `import A from '@kubed/icons/dist/add.js'`.
 */
import type { Plugin } from 'vite';

const IMPORT = /import\s*\{([^}]*)\}\s*from\s*(['"])@kubed\/icons\2;?/g;

/** The file of an icon: its name with the first letter lower-cased. */
export function iconFile(name: string): string {
  return `@kubed/icons/dist/${name.charAt(0).toLowerCase()}${name.slice(1)}.js`;
}

/** Rewrites the named `@kubed/icons` imports of one module; `null` when it has none. */
export function rewriteIconImports(code: string): string | null {
  if (!code.includes('@kubed/icons')) return null;
  let changed = false;
  const out = code.replace(IMPORT, (_all, names: string) => {
    changed = true;
    return names
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s && !s.startsWith('type '))
      .map((s) => {
        const [imported, local] = s.split(/\s+as\s+/).map((p) => p.trim());
        return `import ${local ?? imported} from '${iconFile(imported)}';`;
      })
      .join('');
  });
  return changed ? out : null;
}

/** The Vite plugin. */
export function kubedIcons(): Plugin {
  return {
    name: 'ksflux-kubed-icons',
    enforce: 'pre',
    transform(code, id) {
      const file = id.split('?')[0];
      if (!/\.(m?js|tsx?)$/.test(file) || /\.test\.tsx?$/.test(file)) return null;
      const out = rewriteIconImports(code);
      return out === null ? null : { code: out, map: null };
    },
  };
}
