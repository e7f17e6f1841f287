// The KubeSphere console's page script: the shared modules that extensions import are
// registered with SystemJS under the names of ks-console's import map (`core:<module>`, see
// ks-console `server/configs/systemImports.js`), then the real `run()` of @ks-console/core
// starts the console, which loads installed extensions through its own remote loader.
import * as ksShared from '@ks-console/shared';
import { run } from '@ks-console/core';
import * as kubedCharts from '@kubed/charts';
import * as kubedCodeEditor from '@kubed/code-editor';
import * as kubedComponents from '@kubed/components';
import * as kubedHooks from '@kubed/hooks';
import * as kubedIcons from '@kubed/icons';
import * as React from 'react';
import * as ReactDOM from 'react-dom';
import * as reactQuery from 'react-query';
import * as reactRouterDom from 'react-router-dom';
import * as styledComponents from 'styled-components';
import * as wujieReact from 'wujie-react';

/** A module as SystemJS hands it to a `System.register` bundle: named exports and `default`. */
const asModule = (ns) => ({ ...ns, default: ns.default ?? ns });

const shared = {
  'core:@kubed/@ks-console/shared': ksShared,
  'core:@kubed/charts': kubedCharts,
  'core:@kubed/code-editor': kubedCodeEditor,
  'core:@kubed/components': kubedComponents,
  'core:@kubed/hooks': kubedHooks,
  'core:@kubed/icons': kubedIcons,
  'core:react': React,
  'core:react-dom': ReactDOM,
  'core:react-query': reactQuery,
  'core:react-router-dom': reactRouterDom,
  'core:styled-components': styledComponents,
  'core:wujie-react': wujieReact,
};
for (const [id, ns] of Object.entries(shared)) {
  window.System.set(id, asModule(ns));
}

run();
