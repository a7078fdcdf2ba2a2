/* global document, window, React, ReactDOM, GraphiQL */
// Mounts GraphiQL 3 (UMD globals React, ReactDOM, GraphiQL, loaded before this file) with the
// contract's operations as tabs. Config comes from the page's JSON block (see playground.ts).
'use strict';
(function mount() {
  var config = JSON.parse(document.getElementById('playground-config').textContent);
  // Plain JSON POSTs: the gateway answers with application/json (cache hits included), so the
  // multipart (incremental delivery) fetcher has nothing to add.
  var fetcher = GraphiQL.createFetcher({ url: new URL(config.endpoint, window.location.href).href, enableIncrementalDelivery: false });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(
      GraphiQL,
      {
        fetcher: fetcher,
        defaultTabs: config.tabs,
        defaultHeaders: config.tabs[0].headers,
        // Tokens stay in the page: never written to localStorage.
        shouldPersistHeaders: false,
        defaultEditorToolsVisibility: 'headers',
      },
      React.createElement(GraphiQL.Logo, null, React.createElement('span', { className: 'wardcache-logo' }, 'wardcache')),
    ),
  );
})();
