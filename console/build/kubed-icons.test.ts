import { describe, expect, it } from 'vitest';
import { iconFile, rewriteIconImports } from './kubed-icons';

describe('the @kubed/icons import rewrite', () => {
  it('maps an icon to its own file', () => {
    expect(iconFile('Add')).toBe('@kubed/icons/dist/add.js');
    expect(iconFile('CloseDuotone')).toBe('@kubed/icons/dist/closeDuotone.js');
  });

  it('rewrites our named imports, with aliases', () => {
    expect(rewriteIconImports("import { Add, Close as X } from '@kubed/icons';\nuse(Add, X);")).toBe(
      "import Add from '@kubed/icons/dist/add.js';import X from '@kubed/icons/dist/close.js';\nuse(Add, X);",
    );
  });

  it("rewrites the kit's minified imports", () => {
    expect(rewriteIconImports('import{Close as p,Check as g}from"@kubed/icons";p(g)')).toBe(
      "import p from '@kubed/icons/dist/close.js';import g from '@kubed/icons/dist/check.js';p(g)",
    );
  });

  it('leaves other modules alone', () => {
    expect(rewriteIconImports("import { x } from 'react';")).toBeNull();
    expect(rewriteIconImports("import Add from '@kubed/icons/dist/add.js';")).toBeNull();
  });
});
