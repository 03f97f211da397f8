// The IDE the gateway serves at GET /graphql: GraphiQL with its explorer, the Fan-out panel,
// and a fetcher that asks for the fan-out report and speaks graphql-ws for subscriptions.
// Every asset is bundled (ide/build.ts) and served by the gateway: nothing loads from elsewhere.
// First: the page's policy refuses inline styles, which Monaco writes unless this moves them.
import './csp-styles.js';
import 'graphiql/style.css';
import '@graphiql/plugin-explorer/style.css';
import './ide.css';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { createLocalStorage } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import { fanoutPlugin } from './fanout-plugin.js';
import { createIdeFetcher } from './fetcher.js';
import { headersText, readSettings } from './settings.js';
import { setUpWorkers } from './workers.js';

setUpWorkers();
const settings = readSettings();
const fetcher = createIdeFetcher(settings.endpoint);
// Each variant keeps its own tabs: the mobile page's operations would not validate on the base.
const storage = createLocalStorage({ namespace: `switchboard:${settings.client ?? 'base'}` });
const plugins = [explorerPlugin(), fanoutPlugin];

createRoot(document.getElementById('ide')!).render(
  <GraphiQL
    fetcher={fetcher}
    plugins={plugins}
    storage={storage}
    defaultQuery={settings.query}
    defaultHeaders={headersText(settings)}
    defaultEditorToolsVisibility="headers"
  >
    <GraphiQL.Logo>
      Switchboard
      {settings.client && <span className="sb-client">client: {settings.client}</span>}
    </GraphiQL.Logo>
  </GraphiQL>,
);
