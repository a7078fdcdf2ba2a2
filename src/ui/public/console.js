/* global document, sessionStorage, fetch, setInterval */
// The cache console (served at /admin). Plain browser JavaScript, no build step: it reads its
// operations from the page's JSON block (console.ts) and talks only to the gateway's /graphql.
'use strict';
(function consoleApp() {
  var config = JSON.parse(document.getElementById('console-config').textContent);
  var TOKEN_KEY = 'wardcache.console.token';
  var $ = function (id) {
    return document.getElementById(id);
  };
  var state = { stats: null, fetchedAt: 0, timer: null, busy: false };
  var timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

  var HINTS = {
    FORBIDDEN: 'This token is valid but is not an admin token: the cache console needs the admin role.',
    UNAUTHENTICATED: 'The gateway refused this token (expired, malformed, or signed with another secret).',
    NETWORK: 'The gateway did not answer. It is retried automatically.',
  };

  function ConsoleError(code, message) {
    this.code = code;
    this.message = message;
  }

  // ------------------------------------------------------------------ formatting

  function formatBytes(bytes) {
    if (bytes == null) return '—';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) {
      bytes /= 1024;
      i += 1;
    }
    return (i === 0 ? String(bytes) : bytes.toFixed(bytes < 10 ? 2 : 1)) + ' ' + units[i];
  }

  function formatAge(ms) {
    if (ms == null) return '—';
    var s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }

  function formatTime(iso) {
    return iso ? timeFormat.format(new Date(iso)) : 'never';
  }

  function label(target) {
    return target.charAt(0) + target.slice(1).toLowerCase().replace(/_/g, ' ');
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, attrs[key]);
    });
    if (text != null) node.textContent = text;
    return node;
  }

  // ------------------------------------------------------------------ talking to the gateway

  async function gql(query, variables) {
    var token = sessionStorage.getItem(TOKEN_KEY);
    var res;
    try {
      // Same origin only (a relative URL; the page's CSP allows no other), no cookies.
      res = await fetch(config.endpoint, {
        method: 'POST',
        credentials: 'omit',
        cache: 'no-store',
        headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
        body: JSON.stringify({ query: query, variables: variables || {} }),
      });
    } catch (err) {
      throw new ConsoleError('NETWORK', String(err && err.message ? err.message : err));
    }
    var body = await res.json().catch(function () {
      throw new ConsoleError('HTTP ' + res.status, 'The gateway did not answer with GraphQL.');
    });
    if (body.errors && body.errors.length) {
      var first = body.errors[0];
      throw new ConsoleError((first.extensions && first.extensions.code) || 'ERROR', first.message);
    }
    return body.data;
  }

  // ------------------------------------------------------------------ rendering

  function showError(err) {
    if (!err) {
      $('error').hidden = true;
      return;
    }
    $('error-code').textContent = err.code;
    $('error-message').textContent = err.message;
    $('error-hint').textContent = HINTS[err.code] || '';
    $('error').hidden = false;
  }

  function showNotice(text) {
    $('notice').textContent = text;
    $('notice').hidden = !text;
  }

  function setStat(id, value, sub) {
    $('stat-' + id).textContent = value;
    $('stat-' + id + '-sub').textContent = sub || '';
  }

  function renderStats() {
    var s = state.stats;
    if (!s) return;
    var since = Date.now() - state.fetchedAt;
    setStat('backend', s.backend, s.backend === 'redis' ? 'shared by all processes' : 'in this process');
    setStat('hit-rate', (s.hitRate * 100).toFixed(1) + ' %', s.hits + s.misses + ' lookups');
    $('stat-hit-rate').style.setProperty('--rate', String(s.hitRate));
    setStat('hits-misses', s.hits + ' / ' + s.misses, 'since start');
    setStat('entries', String(s.entries), 'cached answers');
    setStat('memory', formatBytes(s.memoryBytes), 'cache store');
    setStat('invalidations', String(s.invalidations), 'since store start');
    setStat('last-warm', formatTime(s.lastWarmAt), s.lastWarmAt ? new Date(s.lastWarmAt).toLocaleDateString() : 'no warm has run');

    var rows = s.targets.length ? s.targets : config.targets.map(function (t) {
      return { target: t, lastWarmAt: null, ageMs: null, ok: null, durationMs: null, error: null };
    });
    var body = $('targets');
    body.textContent = '';
    rows.forEach(function (row) {
      var tr = el('tr', { 'data-target': row.target });
      tr.appendChild(el('td', {}, label(row.target)));
      tr.appendChild(el('td', { 'data-testid': 'target-last-warm' }, formatTime(row.lastWarmAt)));
      tr.appendChild(el('td', {}, row.ageMs == null ? '—' : formatAge(row.ageMs + since)));
      var outcome = el('td');
      var badge = row.ok == null ? el('span', { class: 'badge' }, 'not warmed') : el('span', { class: row.ok ? 'badge ok' : 'badge bad' }, row.ok ? 'OK' : 'Error');
      outcome.appendChild(badge);
      if (row.error) outcome.appendChild(el('div', { class: 'cell-error' }, row.error));
      tr.appendChild(outcome);
      tr.appendChild(el('td', {}, row.durationMs == null ? '—' : row.durationMs + ' ms'));
      var action = el('td', { class: 'actions' });
      var button = el('button', { type: 'button', class: 'small', 'data-warm': row.target }, 'Warm');
      button.disabled = state.busy;
      action.appendChild(button);
      tr.appendChild(action);
      body.appendChild(tr);
    });
    $('refreshed').textContent = 'Updated ' + timeFormat.format(new Date(state.fetchedAt)) + ' · every ' + config.refreshMs / 1000 + ' s';
  }

  function setBusy(busy) {
    state.busy = busy;
    document.querySelectorAll('#dashboard button').forEach(function (b) {
      b.disabled = busy;
    });
  }

  function showSignedIn(signedIn) {
    $('login').hidden = signedIn;
    $('sign-out').hidden = !signedIn;
    $('dashboard').hidden = !signedIn || !state.stats;
  }

  // ------------------------------------------------------------------ behaviour

  async function refresh() {
    clearTimeout(state.timer);
    if (!sessionStorage.getItem(TOKEN_KEY)) return;
    try {
      var data = await gql(config.operations.stats);
      state.stats = data.cacheStats;
      state.fetchedAt = Date.now();
      showError(null);
      showSignedIn(true);
      renderStats();
    } catch (err) {
      showError(err);
      // A refused token will not get better by asking again: drop it, let the user enter another.
      if (err.code === 'FORBIDDEN' || err.code === 'UNAUTHENTICATED') {
        sessionStorage.removeItem(TOKEN_KEY);
        state.stats = null;
        showSignedIn(false);
        return;
      }
    }
    state.timer = setTimeout(refresh, config.refreshMs);
  }

  async function run(action, describe) {
    setBusy(true);
    showNotice('');
    try {
      showNotice(describe(await action()));
      showError(null);
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
    await refresh();
  }

  function warm(targets) {
    return run(
      function () {
        return gql(config.operations.warm, { targets: targets });
      },
      function (data) {
        return data.warmCache
          .map(function (r) {
            return label(r.target) + ': ' + (r.ok ? 'OK' : 'failed (' + r.error + ')') + ' in ' + r.durationMs + ' ms';
          })
          .join(' · ');
      },
    );
  }

  $('login-form').addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim().replace(/^Bearer\s+/i, ''));
    $('token').value = '';
    showError(null);
    void refresh();
  });
  $('sign-out').addEventListener('click', function () {
    sessionStorage.removeItem(TOKEN_KEY);
    clearTimeout(state.timer);
    state.stats = null;
    showNotice('');
    showError(null);
    showSignedIn(false);
  });
  $('warm-all').addEventListener('click', function () {
    void warm(null);
  });
  $('targets').addEventListener('click', function (event) {
    var target = event.target.getAttribute && event.target.getAttribute('data-warm');
    if (target) void warm([target]);
  });
  config.typenames.forEach(function (name) {
    $('typename').appendChild(el('option', { value: name }, name));
  });
  $('invalidate-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var typename = $('typename').value;
    void run(
      function () {
        return gql(config.operations.invalidate, { entities: [{ typename: typename, id: null }] });
      },
      function (data) {
        return 'Invalidated ' + data.invalidateCache.invalidated + ' cached answer(s) showing ' + typename + '.';
      },
    );
  });
  // Ages move on between refreshes.
  setInterval(renderStats, 1000);

  showSignedIn(Boolean(sessionStorage.getItem(TOKEN_KEY)));
  void refresh();
})();
