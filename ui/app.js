// The Baton dashboard (issue 20). No framework, no build step: this file, /ui/app.css and the
// page at / are compiled into the binary. Everything it shows it reads through the public API with
// the session's role and tenant; every change it makes carries the session's CSRF token.
// Data is only ever put into the page as text (never as HTML).
'use strict';

const STATES = ['queued', 'running', 'retrying', 'blocked', 'completed', 'failed', 'aborted'];
const RANK = { viewer: 1, operator: 2, admin: 3 };
const EVENT_TYPES = [
  'issue.queued', 'issue.running', 'issue.completed', 'issue.retrying', 'issue.failed', 'issue.blocked',
  'issue.aborted', 'issue.released', 'issue.model', 'issue.template', 'issue.workspace_removed',
  'job.created', 'job.assigned', 'job.started', 'job.progress', 'job.completed', 'job.failed', 'job.cancelled',
  'job.requeued', 'job.updated', 'job.steered', 'worker.online', 'worker.offline', 'worker.paused',
  'worker.resumed', 'killswitch.changed', 'workspace.removing', 'workspace.removed', 'config.changed',
  'secret.changed',
];
const KILLSWITCH = [
  'record only: everything runs as usual',
  'hold: new jobs queue, nothing is dispatched',
  'reject: creating or dispatching jobs is refused',
  'drain: pending jobs are cancelled, workers are paused as their current job ends',
  'full halt: every job is cancelled, every worker is paused',
];
const STATUS_WORDS = {
  400: 'The request was refused', 401: 'Not signed in', 403: 'Not allowed', 404: 'Not found',
  405: 'Not allowed here', 409: 'Conflict', 413: 'Too large', 422: 'Not possible now', 429: 'Too many requests',
  500: 'Server error', 503: 'Unavailable',
};

const app = {
  session: null, // {key_id, name, role, tenant, csrf_token, created_at, expires_at}
  events: null, // EventSource
  page: null, // {name, onEvent, cleanup}
  timers: [],
};

// ---------------------------------------------------------------- DOM helpers

function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v != null) el.setAttribute(k, String(v));
  append(el, children);
  return el;
}

function setProps(el, props) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// Replaces an element's children (null and false are skipped, unlike Element.append).
function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

let idCounter = 0;
function uid(prefix) {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

function field(label, control, hint) {
  if (!control.id) control.id = uid('f');
  return h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control,
    hint ? h('small', { class: 'hint', text: hint }) : null);
}

// ---------------------------------------------------------------- formatting

function fmtTokens(n) {
  if (n == null) return '—';
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(n);
}

function fmtUSD(n) {
  if (n == null) return '—';
  if (n === 0) return '$0';
  return n < 1 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`;
}

function fmtBytes(n) {
  if (n == null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

function fmtDuration(ms) {
  if (ms == null || !isFinite(ms) || ms < 0) return '—';
  const sec = Math.floor(ms / 1000);
  if (sec < 60) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 60) return `${min}m ${sec % 60}s`;
  const hr = Math.floor(min / 60);
  if (hr < 48) return `${hr}h ${min % 60}m`;
  return `${Math.floor(hr / 24)}d ${hr % 24}h`;
}

function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toLocaleString();
}

function timeEl(iso) {
  return iso ? h('time', { datetime: iso, title: iso, text: fmtTime(iso) }) : '—';
}

function elapsed(start, end) {
  if (!start) return null;
  return (end ? Date.parse(end) : Date.now()) - Date.parse(start);
}

// ---------------------------------------------------------------- the API

class APIError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.code;
    this.details = (body && body.details) || null;
  }
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (!['GET', 'HEAD', 'OPTIONS'].includes(method) && app.session) headers['X-CSRF-Token'] = app.session.csrf_token;
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new APIError(0, { error: `the server could not be reached (${e.message})`, code: 'network' });
  }
  const text = await response.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch (e) { json = null; }
  }
  if (!response.ok) {
    const err = new APIError(response.status, json);
    if (response.status === 401 && app.session && path !== '/api/v1/session') sessionEnded('Your session has ended.');
    throw err;
  }
  return json;
}

function describeError(err) {
  if (!(err instanceof APIError)) return String(err && err.message ? err.message : err);
  const words = STATUS_WORDS[err.status] || (err.status ? `HTTP ${err.status}` : 'No answer');
  return `${words}${err.status ? ` (${err.status})` : ''}: ${err.message}`;
}

// An alert box showing an API error in words, with the validator's details (JSON pointer → message).
function errorBox(err) {
  const box = h('div', { class: 'error', role: 'alert' }, h('p', { text: describeError(err) }));
  if (err instanceof APIError && err.details && Object.keys(err.details).length) {
    box.append(h('ul', { class: 'details' }, Object.entries(err.details).map(([k, v]) =>
      h('li', null, h('code', { text: k }), ' ', v))));
  }
  return box;
}

function showResult(slot, promise, ok) {
  clear(slot);
  slot.append(h('span', { class: 'pending', text: 'Working…' }));
  return promise.then((value) => {
    clear(slot);
    if (ok) slot.append(h('p', { class: 'ok', role: 'status', text: typeof ok === 'function' ? ok(value) : ok }));
    return value;
  }, (err) => {
    clear(slot);
    slot.append(errorBox(err));
    return undefined;
  });
}

function can(role) {
  return !!app.session && (RANK[app.session.role] || 0) >= RANK[role];
}

// ---------------------------------------------------------------- timers and page lifecycle

function every(ms, fn) {
  const t = setInterval(fn, ms);
  app.timers.push(() => clearInterval(t));
}

function debounced(ms, fn) {
  let t = null;
  const run = () => { t = null; fn(); };
  app.timers.push(() => { if (t) clearTimeout(t); });
  return () => { if (!t) t = setTimeout(run, ms); };
}

function leavePage() {
  for (const stop of app.timers) stop();
  app.timers = [];
  app.page = null;
}

function pageHeader(title, ...rest) {
  return h('div', { class: 'page-head' }, h('h1', { id: 'page-title', tabindex: '-1', text: title }), rest);
}

// ---------------------------------------------------------------- session and stream

async function start() {
  document.getElementById('signout').addEventListener('click', signOut);
  window.addEventListener('hashchange', route);
  try {
    app.session = await api('GET', '/api/v1/session');
  } catch (e) {
    app.session = null;
  }
  if (app.session) signedIn(); else showSignIn();
}

function showSignIn(message) {
  leavePage();
  document.getElementById('top').hidden = true;
  document.title = 'Sign in · Baton';
  const main = clear(document.getElementById('main'));
  const key = h('input', {
    type: 'password', id: 'key', name: 'key', autocomplete: 'off', spellcheck: 'false', required: true,
    placeholder: 'bt_…', 'aria-describedby': 'key-hint',
  });
  const slot = h('div', { class: 'slot', 'aria-live': 'polite' });
  const form = h('form', { class: 'signin', id: 'signin', novalidate: true },
    h('h1', { id: 'page-title', tabindex: '-1', text: 'Sign in to Baton' }),
    message ? h('p', { class: 'notice', role: 'status', text: message }) : null,
    h('label', { for: 'key', text: 'API key' }), key,
    h('p', { id: 'key-hint', class: 'hint', text:
      'Paste a viewer, operator or admin key once (the first admin key is in .baton/admin.key). ' +
      'It is exchanged for a session cookie this page cannot read; the key itself is not kept.' }),
    h('button', { type: 'submit', class: 'primary', text: 'Sign in' }), slot);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = key.value.trim();
    if (!value) { fill(slot, errorBox(new Error('Paste an API key first.'))); return; }
    showResult(slot, api('POST', '/api/v1/session', { key: value })).then((session) => {
      if (!session) return;
      key.value = '';
      app.session = session;
      signedIn();
    });
  });
  main.append(form);
  key.focus();
}

function signedIn() {
  const top = document.getElementById('top');
  top.hidden = false;
  const who = clear(document.getElementById('who'));
  who.append(h('span', { text: app.session.name }), ' · ', h('span', { class: `role role-${app.session.role}`, text: app.session.role }),
    ' · ', h('span', { text: app.session.tenant }));
  document.body.dataset.role = app.session.role;
  connectEvents();
  route();
}

function setStream(state) {
  const el = document.getElementById('stream');
  el.textContent = state;
  el.dataset.state = state;
  document.body.dataset.stream = state;
}

function connectEvents() {
  if (app.events) app.events.close();
  const es = new EventSource('/api/v1/events');
  app.events = es;
  setStream('connecting');
  es.addEventListener('open', () => setStream('live'));
  es.addEventListener('error', () => {
    if (app.events !== es) return;
    if (es.readyState === EventSource.CLOSED) {
      setStream('ended');
      // The stream is refused when the session has ended (signed out elsewhere, expired, key revoked).
      api('GET', '/api/v1/session').catch(() => sessionEnded('Your session has ended.'));
    } else {
      setStream('reconnecting');
    }
  });
  const deliver = (e) => {
    let event;
    try { event = JSON.parse(e.data); } catch (err) { return; }
    if (event.type === 'killswitch.changed') showKillswitchBanner(event.data && event.data.level);
    if (app.page && app.page.onEvent) app.page.onEvent(event);
  };
  for (const type of EVENT_TYPES) es.addEventListener(type, deliver);
}

function stopEvents() {
  if (app.events) { app.events.close(); app.events = null; }
  setStream('ended');
}

function sessionEnded(message) {
  if (!app.session) return;
  app.session = null;
  stopEvents();
  showSignIn(message);
}

async function signOut() {
  try {
    await api('DELETE', '/api/v1/session');
  } catch (e) {
    // Already ended: nothing more to do.
  }
  app.session = null;
  stopEvents();
  delete document.body.dataset.role;
  showSignIn('Signed out.');
}

function showKillswitchBanner(level) {
  let banner = document.getElementById('ks-banner');
  if (!level) { if (banner) banner.remove(); return; }
  if (!banner) {
    banner = h('div', { id: 'ks-banner', class: 'banner', role: 'status' });
    document.getElementById('top').after(banner);
  }
  banner.textContent = `Killswitch at level ${level}: ${KILLSWITCH[level] || ''}`;
}

// ---------------------------------------------------------------- routing

function route() {
  if (!app.session) { showSignIn(); return; }
  leavePage();
  const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const parts = hash.split('/').filter(Boolean);
  const main = clear(document.getElementById('main'));
  let name = parts[0] || 'board';
  for (const a of document.querySelectorAll('nav a[data-page]')) {
    if (a.dataset.page === name || (name === 'issues' && a.dataset.page === 'board')) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  app.page = { name, onEvent: null };
  if (name === 'issues' && parts[1]) pageIssue(main, parts[1]);
  else if (name === 'fleet') pageFleet(main);
  else if (name === 'cost') pageCost(main);
  else if (name === 'settings') pageSettings(main, parts[1] || 'config');
  else { app.page.name = 'board'; pageBoard(main); }
  const title = document.getElementById('page-title');
  if (title && document.activeElement !== document.getElementById('key')) title.focus({ preventScroll: true });
}

// ---------------------------------------------------------------- board

function pageBoard(main) {
  const search = h('input', { type: 'search', id: 'search', placeholder: 'Identifier, title or label', autocomplete: 'off' });
  const label = h('select', { id: 'label-filter' }, h('option', { value: '', text: 'Any label' }));
  const provider = h('select', { id: 'provider-filter' }, h('option', { value: '', text: 'Any provider' }));
  const totals = h('p', { class: 'totals', id: 'totals', 'aria-live': 'polite' });
  const slot = h('div', { class: 'slot' });
  const board = h('div', { class: 'board', id: 'board' });
  main.append(pageHeader('Board', totals),
    h('div', { class: 'filters', role: 'search' }, field('Search', search), field('Label', label), field('Provider', provider)),
    slot, board);
  const data = { state: null, jobs: new Map() };

  const load = async () => {
    try {
      const [state, jobs] = await Promise.all([api('GET', '/api/v1/state'), api('GET', '/api/jobs?limit=500')]);
      data.state = state;
      data.jobs = new Map();
      for (const job of jobs.jobs) {
        if (!job.issue) continue;
        const seen = data.jobs.get(job.issue);
        if (!seen || seen.id < job.id) data.jobs.set(job.issue, job);
      }
      clear(slot);
      refreshFilters();
      draw();
    } catch (err) {
      fill(slot, errorBox(err));
    }
  };

  const refreshFilters = () => {
    const labels = new Set();
    const providers = new Set();
    for (const st of STATES) for (const issue of data.state.issues[st] || []) {
      for (const l of issue.labels) labels.add(l);
      const job = data.jobs.get(issue.identifier);
      if (job) providers.add(job.provider);
    }
    for (const [select, values] of [[label, labels], [provider, providers]]) {
      const keep = select.value;
      while (select.options.length > 1) select.remove(1);
      for (const v of [...values].sort()) select.append(h('option', { value: v, text: v }));
      select.value = values.has(keep) ? keep : '';
    }
  };

  const matches = (issue) => {
    const q = search.value.trim().toLowerCase();
    const job = data.jobs.get(issue.identifier);
    if (label.value && !issue.labels.includes(label.value)) return false;
    if (provider.value && (!job || job.provider !== provider.value)) return false;
    if (!q) return true;
    return issue.identifier.toLowerCase().includes(q) || issue.title.toLowerCase().includes(q) ||
      issue.labels.some((l) => l.toLowerCase().includes(q));
  };

  const card = (issue) => {
    const job = data.jobs.get(issue.identifier);
    const model = (job && (job.model_used || job.model)) || issue.model_override;
    const running = job && (job.status === 'running' || job.status === 'assigned');
    const started = job ? (job.started_at || job.created_at) : null;
    const end = job && !running ? (job.finished_at || job.updated_at) : null;
    const tokens = job ? job.tokens.input + job.tokens.output : null;
    return h('li', { class: `card state-${issue.state}`, dataset: { issue: issue.identifier, state: issue.state } },
      h('a', { href: `#/issues/${encodeURIComponent(issue.identifier)}`, class: 'card-link' },
        h('span', { class: 'ident', text: issue.identifier }),
        h('span', { class: 'title', text: issue.title })),
      h('dl', { class: 'facts' },
        h('div', null, h('dt', { text: 'Attempts' }), h('dd', { text: String(issue.attempts) })),
        job ? h('div', null, h('dt', { text: 'Agent' }), h('dd', { text: model ? `${job.provider} / ${model}` : job.provider })) : null,
        job && job.worker ? h('div', null, h('dt', { text: 'Worker' }), h('dd', { text: job.worker })) : null,
        started ? h('div', null, h('dt', { text: 'Elapsed' }),
          h('dd', { class: 'elapsed', dataset: running ? { start: started } : {}, text: fmtDuration(elapsed(started, end)) })) : null,
        job ? h('div', null, h('dt', { text: 'Tokens' }), h('dd', { class: 'tokens', text: fmtTokens(tokens) })) : null,
        job && job.cost_usd != null ? h('div', null, h('dt', { text: 'Cost' }), h('dd', { text: fmtUSD(job.cost_usd) })) : null),
      issue.labels.length ? h('ul', { class: 'labels', 'aria-label': 'Labels' }, issue.labels.map((l) => h('li', { text: l }))) : null,
      issue.last_error && issue.state !== 'completed' ? h('p', { class: 'last-error', text: issue.last_error }) : null);
  };

  const draw = () => {
    if (!data.state) return;
    clear(board);
    let shown = 0;
    for (const st of STATES) {
      const issues = (data.state.issues[st] || []).filter(matches);
      shown += issues.length;
      const headingID = `col-${st}`;
      board.append(h('section', { class: `column col-${st}`, 'aria-labelledby': headingID, dataset: { state: st } },
        h('h2', { id: headingID }, st[0].toUpperCase() + st.slice(1), ' ', h('span', { class: 'count', text: String(data.state.counts[st]) })),
        issues.length ? h('ul', { class: 'cards' }, issues.map(card)) : h('p', { class: 'empty', text: 'None' })));
    }
    const c = data.state.counts;
    const parts = STATES.filter((st) => c[st] > 0).map((st) => `${c[st]} ${st}`);
    document.title = `${parts.length ? parts.join(' · ') : 'no issues'} — Baton`;
    fill(totals, `${data.state.total_issues} issues · ${shown} shown · ${fmtTokens(data.state.tokens.total)} tokens · ${fmtUSD(data.state.cost_usd)}`,
      c.released ? ` · ${c.released} released` : '');
  };

  for (const el of [search, label, provider]) el.addEventListener('input', draw);
  const reload = debounced(250, load);
  const slowReload = debounced(1500, load);
  app.page.onEvent = (event) => {
    if (event.type === 'job.progress') {
      const job = event.issue && data.jobs.get(event.issue);
      if (job && event.data && event.data.tokens) { job.tokens = event.data.tokens; draw(); } else slowReload();
    } else if (event.type.startsWith('issue.') || event.type.startsWith('job.')) reload();
  };
  every(30000, load); // the stream is the news; this only catches up after a long disconnection
  every(1000, () => {
    for (const el of board.querySelectorAll('.elapsed[data-start]')) el.textContent = fmtDuration(elapsed(el.dataset.start));
  });
  load();
}

// ---------------------------------------------------------------- issue page

// The agent's output: each progress report carries the last few messages, so a new report is
// joined to what is shown where the two overlap.
function mergeWindow(shown, windowMessages) {
  const max = Math.min(shown.length, windowMessages.length);
  for (let k = max; k > 0; k -= 1) {
    let same = true;
    for (let i = 0; i < k; i += 1) if (shown[shown.length - k + i] !== windowMessages[i]) { same = false; break; }
    if (same) return windowMessages.slice(k);
  }
  return windowMessages.slice();
}

function pageIssue(main, id) {
  document.title = `${id} — Baton`;
  const head = pageHeader(id);
  const slot = h('div', { class: 'slot' });
  const summary = h('section', { class: 'panel', 'aria-label': 'Summary' });
  const controls = h('section', { class: 'panel controls', id: 'controls', 'aria-labelledby': 'controls-h' });
  const outputMeta = h('p', { class: 'meta', id: 'output-meta' });
  const output = h('pre', { class: 'output', id: 'output', tabindex: '0', 'aria-live': 'polite', 'aria-label': 'Agent output' });
  const attempts = h('section', { class: 'panel', 'aria-labelledby': 'attempts-h' });
  const transitions = h('section', { class: 'panel', 'aria-labelledby': 'transitions-h' });
  // The issue's Linear agent sessions (SPEC §9.15), shown when it has any.
  const sessions = h('section', { class: 'panel', id: 'agent-sessions', 'aria-labelledby': 'sessions-h', hidden: true });
  main.append(head, slot, h('div', { class: 'issue-grid' },
    h('div', { class: 'issue-main' }, summary,
      h('section', { class: 'panel', 'aria-labelledby': 'output-h' }, h('h2', { id: 'output-h', text: 'Agent output' }), outputMeta, output),
      attempts),
    h('div', { class: 'issue-side' }, controls, sessions, transitions)));

  const out = { job: null, lines: [], replayed: false };
  let detail = null;
  let latest = null;
  let table = null;
  let templates = null;
  let controlsFor = null;

  const addMessages = (messages) => {
    const fresh = mergeWindow(out.lines, messages || []);
    if (!fresh.length) return;
    out.lines.push(...fresh);
    if (out.lines.length > 2000) out.lines.splice(0, out.lines.length - 2000);
    const atEnd = output.scrollTop + output.clientHeight >= output.scrollHeight - 8;
    for (const line of fresh) output.append(h('span', { class: 'line', text: line }), '\n');
    if (atEnd) output.scrollTop = output.scrollHeight;
  };

  const progressMeta = (p, tokens) => {
    const bits = [];
    if (p && p.turn != null) bits.push(`turn ${p.turn}`);
    if (p && p.tool_calls) bits.push(`${p.tool_calls} tool calls`);
    if (p && p.last_command) bits.push(`last command: ${p.last_command}`);
    if (tokens) bits.push(`${fmtTokens(tokens.input)} in / ${fmtTokens(tokens.output)} out tokens`);
    outputMeta.textContent = bits.join(' · ');
  };

  const load = async () => {
    try {
      detail = await api('GET', `/api/v1/${encodeURIComponent(id)}`);
      const last = detail.attempts[detail.attempts.length - 1];
      latest = last ? await api('GET', `/api/v1/attempts/${last.id}`) : null;
      if (!table) table = await api('GET', '/api/v1/transitions').catch(() => null);
      if (can('operator') && !templates) templates = await api('GET', '/api/v1/templates').then((t) => t.templates).catch(() => []);
      clear(slot);
      if (latest && latest.job !== out.job) {
        out.job = latest.job;
        out.lines = [];
        out.replayed = false;
        clear(output);
      }
      // What the attempt said before this page opened, once; live reports follow.
      if (latest && !out.replayed) {
        out.replayed = true;
        for (const ev of latest.timeline) {
          if (ev.type === 'job.progress' && ev.data && ev.data.progress) addMessages(ev.data.progress.recent_messages);
        }
        if (latest.result && !out.lines.length) addMessages(latest.result.split('\n'));
      }
      if (!output.firstChild) output.textContent = latest ? 'No output yet.' : 'No attempt yet.';
      draw();
    } catch (err) {
      fill(slot, errorBox(err));
    }
  };

  const draw = () => {
    const d = detail;
    const title = head.querySelector('h1');
    title.textContent = `${d.identifier} · ${d.title}`;
    document.title = `${d.identifier} (${d.state}) — Baton`;
    const tokens = latest && latest.tokens;
    fill(summary, 
      h('p', { class: 'state-line' }, h('span', { class: `badge state-${d.state}`, id: 'issue-state', text: d.state }),
        ' ', d.tracker_state ? `in the tracker: ${d.tracker_state}` : '',
        d.url && /^https?:\/\//i.test(d.url) ? [' · ', h('a', { href: d.url, target: '_blank', rel: 'noopener noreferrer', id: 'linear-link', text: 'Open in Linear ↗' })] : ''),
      d.description ? h('p', { class: 'description', text: d.description }) : null,
      h('dl', { class: 'facts wide' },
        h('div', null, h('dt', { text: 'Attempts' }), h('dd', { text: String(d.attempt_count) })),
        h('div', null, h('dt', { text: 'Priority' }), h('dd', { text: ['none', 'urgent', 'high', 'medium', 'low'][d.priority] || String(d.priority) })),
        d.labels.length ? h('div', null, h('dt', { text: 'Labels' }), h('dd', { text: d.labels.join(', ') })) : null,
        latest ? h('div', null, h('dt', { text: 'Agent' }), h('dd', { text: `${latest.provider}${latest.model_used || latest.model ? ` / ${latest.model_used || latest.model}` : ''}` })) : null,
        latest && latest.worker ? h('div', null, h('dt', { text: 'Worker' }), h('dd', { text: latest.worker })) : null,
        latest ? h('div', null, h('dt', { text: 'Elapsed' }), h('dd', { class: 'elapsed', dataset: latest.finished_at ? {} : { start: latest.started_at }, text: fmtDuration(elapsed(latest.started_at, latest.finished_at)) })) : null,
        tokens ? h('div', null, h('dt', { text: 'Tokens' }), h('dd', { id: 'issue-tokens', text: `${fmtTokens(tokens.input)} in / ${fmtTokens(tokens.output)} out` })) : null,
        latest && latest.cost_usd != null ? h('div', null, h('dt', { text: 'Cost' }), h('dd', { text: fmtUSD(latest.cost_usd) })) : null,
        d.model_override ? h('div', null, h('dt', { text: 'Model override' }), h('dd', { text: d.model_override })) : null,
        d.template_override ? h('div', null, h('dt', { text: 'Template override' }), h('dd', { text: d.template_override })) : null,
        d.retry_at ? h('div', null, h('dt', { text: 'Retry at' }), h('dd', null, timeEl(d.retry_at))) : null),
      d.last_error ? h('p', { class: 'last-error', text: `Last error: ${d.last_error}` }) : null);
    drawAttempts();
    drawSessions();
    drawTransitions();
    // Rebuilt only when what they offer changes, so a message being typed survives live updates.
    const signature = JSON.stringify([d.state, d.model_override, d.template_override, !!table, (templates || []).length]);
    if (signature !== controlsFor) {
      controlsFor = signature;
      // What is being typed is carried over (the model field only while it has the focus).
      const active = document.activeElement && controls.contains(document.activeElement) ? document.activeElement.id : null;
      const kept = {};
      for (const el of controls.querySelectorAll('textarea, input[type=text]')) {
        if (el.id && el.value && (el.id !== 'model-override' || el.id === active)) kept[el.id] = el.value;
      }
      drawControls();
      for (const [key, value] of Object.entries(kept)) {
        const el = document.getElementById(key);
        if (el) el.value = value;
      }
      if (active && document.getElementById(active)) document.getElementById(active).focus();
    }
  };

  const drawAttempts = () => {
    fill(attempts, h('h2', { id: 'attempts-h', text: 'Attempts' }));
    if (!detail.attempts.length) { attempts.append(h('p', { class: 'empty', text: 'No attempt yet.' })); return; }
    const list = h('ol', { class: 'timeline' });
    for (const a of [...detail.attempts].reverse()) {
      const isLatest = latest && latest.id === a.id;
      list.append(h('li', { class: `attempt status-${a.status}` },
        h('p', null, h('strong', { text: `Attempt ${a.number}` }), ' ', h('span', { class: `badge status-${a.status}`, text: a.status }),
          ` · ${a.provider}${a.model ? ` / ${a.model}` : ''} · template ${a.template} · `, timeEl(a.started_at),
          a.finished_at ? [' → ', timeEl(a.finished_at), ` (${fmtDuration(elapsed(a.started_at, a.finished_at))})`] : ''),
        a.error ? h('p', { class: 'last-error', text: a.error }) : null,
        h('details', { open: isLatest && !a.finished_at ? true : null }, h('summary', { text: 'Rendered prompt' }), h('pre', { class: 'prompt', text: a.prompt })),
        isLatest && latest.report ? h('details', null, h('summary', { text: 'What the agent did' }), h('pre', { class: 'prompt', text: JSON.stringify(latest.report, null, 2) })) : null,
        isLatest && latest.timeline.length ? h('details', null, h('summary', { text: `Events (${latest.timeline.length})` }),
          h('ol', { class: 'events' }, latest.timeline.filter((e) => e.type !== 'job.progress').map((e) =>
            h('li', null, timeEl(e.at), ' ', h('code', { text: e.type }), e.data && e.data.reason ? ` — ${e.data.reason}` : '')))) : null));
    }
    attempts.append(list);
  };

  // What Baton posted (or will post) to each Linear agent session, with each activity's delivery
  // state: pending, delivered, coalesced (an ephemeral thought a later activity replaced), failed.
  const drawSessions = () => {
    const list = detail.agent_sessions || [];
    sessions.hidden = !list.length;
    if (!list.length) return;
    fill(sessions, h('h2', { id: 'sessions-h', text: 'Linear agent session' }),
      ...list.map((s) => h('div', { class: 'agent-session' },
        h('p', null, h('span', { class: 'badge', text: s.status }), ' ', h('code', { text: s.id }),
          s.creator ? ` · for ${s.creator}` : '', ' · ', timeEl(s.created_at)),
        h('ol', { class: 'timeline compact' }, s.activities.map((a) =>
          h('li', { class: `activity activity-${a.state}` },
            h('span', { class: 'move', text: a.type }), ' ',
            h('span', { class: `badge activity-${a.state}`, text: a.attempts > 1 ? `${a.state} after ${a.attempts} tries` : a.state }),
            h('br'), h('small', { text: a.content.body || [a.content.action, a.content.parameter].filter(Boolean).join(' ') }),
            a.state === 'pending' && a.last_error ? h('small', { class: 'last-error', text: ` — ${a.last_error}` }) : null))))));
  };

  const drawTransitions = () => {
    fill(transitions, h('h2', { id: 'transitions-h', text: 'Transitions' }),
      h('ol', { class: 'timeline compact' }, [...detail.transitions].reverse().map((t) =>
        h('li', null, h('span', { class: 'move', text: `${t.from || '∅'} → ${t.to}` }), ' ', timeEl(t.at),
          h('br'), h('small', { text: `${t.actor}: ${t.reason}` })))));
  };

  const drawControls = () => {
    fill(controls, h('h2', { id: 'controls-h', text: 'Steer and stop' }));
    if (!can('operator')) {
      controls.append(h('p', { class: 'hint', text: `Your ${app.session.role} key may look but not change anything.` }));
      return;
    }
    const d = detail;
    // Steer.
    const message = h('textarea', { id: 'steer-message', rows: '3', maxlength: '16384', placeholder: 'Guidance for the running agent' });
    const steerSlot = h('div', { class: 'slot', 'aria-live': 'polite' });
    const steerForm = h('form', { id: 'steer-form', class: 'control' }, field('Steer the agent', message,
      d.state === 'running' ? 'Sent to the agent at its next turn.' : 'Only a running issue can be steered.'),
    h('button', { type: 'submit', class: 'primary', text: 'Send' }), steerSlot);
    steerForm.addEventListener('submit', (e) => {
      e.preventDefault();
      showResult(steerSlot, api('POST', `/api/v1/${encodeURIComponent(id)}/steer`, { message: message.value }), 'Sent.')
        .then((r) => { if (r) message.value = ''; });
    });
    // Abort, with a second step.
    const abortSlot = h('div', { class: 'slot', 'aria-live': 'polite' });
    const abortReason = h('input', { type: 'text', id: 'abort-reason', maxlength: '500', placeholder: 'optional' });
    const abortBox = h('div', { class: 'control danger-zone' });
    const askAbort = h('button', { type: 'button', id: 'abort', class: 'danger', text: 'Abort…' });
    askAbort.addEventListener('click', () => {
      fill(abortBox, h('p', { text: `Abort ${id}? A running agent is stopped and the issue is not retried.` }),
        field('Reason', abortReason),
        h('button', { type: 'button', id: 'abort-confirm', class: 'danger', text: 'Abort the issue', onclick: () => {
          const body = abortReason.value.trim() ? { reason: abortReason.value.trim() } : undefined;
          showResult(abortSlot, api('POST', `/api/v1/${encodeURIComponent(id)}/abort`, body), 'Aborted.').then(() => reload());
        } }),
        ' ', h('button', { type: 'button', class: 'quiet', text: 'Cancel', onclick: () => { fill(abortBox, askAbort); askAbort.focus(); } }),
        abortSlot);
      abortBox.querySelector('#abort-confirm').focus();
    });
    abortBox.append(askAbort);
    // Transition.
    const targets = (table && table.table[d.state] && table.table[d.state].operator) || [];
    const to = h('select', { id: 'transition-to', required: true }, h('option', { value: '', text: 'Choose…', disabled: true, selected: true }),
      targets.map((t) => h('option', { value: t, text: t })));
    const why = h('input', { type: 'text', id: 'transition-reason', maxlength: '500', placeholder: 'optional' });
    const moveSlot = h('div', { class: 'slot', 'aria-live': 'polite' });
    const moveForm = h('form', { class: 'control', id: 'transition-form' },
      h('fieldset', null, h('legend', { text: 'Move the issue' }),
        targets.length ? [field('To', to), field('Reason', why), h('button', { type: 'submit', text: 'Move' })]
          : h('p', { class: 'hint', text: `An operator cannot move a ${d.state} issue.` })), moveSlot);
    moveForm.addEventListener('submit', (e) => {
      e.preventDefault();
      const body = { to: to.value };
      if (why.value.trim()) body.reason = why.value.trim();
      showResult(moveSlot, api('POST', `/api/v1/${encodeURIComponent(id)}/transition`, body), (r) => `Moved to ${r.to}.`).then(() => reload());
    });
    // Model override.
    const models = h('datalist', { id: 'model-list' });
    const model = h('input', { type: 'text', id: 'model-override', maxlength: '200', value: d.model_override || '', placeholder: 'agent.model', list: 'model-list' });
    // The models the providers and the fleet offer, asked for once, when the field is first used.
    model.addEventListener('focus', () => {
      if (models.dataset.loaded) return;
      models.dataset.loaded = 'yes';
      api('GET', '/api/v1/models?limit=200').then((r) => {
        for (const m of r.models) models.append(h('option', { value: m.name }));
      }, () => {});
    }, { once: true });
    const restart = h('input', { type: 'checkbox', id: 'model-restart' });
    const modelSlot = h('div', { class: 'slot', 'aria-live': 'polite' });
    const modelForm = h('form', { class: 'control', id: 'model-form' },
      h('fieldset', null, h('legend', { text: 'Model override' }), field('Model', model), models,
        h('div', { class: 'check' }, restart, h('label', { for: 'model-restart', text: 'Restart a running attempt with it' })),
        h('button', { type: 'submit', text: 'Set model' }), ' ',
        h('button', { type: 'button', class: 'quiet', text: 'Clear', onclick: () =>
          showResult(modelSlot, api('POST', `/api/v1/${encodeURIComponent(id)}/model`, { model: null }), 'Cleared.').then(() => reload()) })),
      modelSlot);
    modelForm.addEventListener('submit', (e) => {
      e.preventDefault();
      showResult(modelSlot, api('POST', `/api/v1/${encodeURIComponent(id)}/model`, { model: model.value.trim(), restart: restart.checked }), 'Set.').then(() => reload());
    });
    // Template override.
    const template = h('select', { id: 'template-override' }, (templates || []).map((t) => h('option', { value: t.id, text: t.id })));
    if (d.template_override) template.value = d.template_override;
    const tplSlot = h('div', { class: 'slot', 'aria-live': 'polite' });
    const tplForm = h('form', { class: 'control', id: 'template-form' },
      h('fieldset', null, h('legend', { text: 'Template override' }),
        templates && templates.length ? [field('Template', template), h('button', { type: 'submit', text: 'Set template' }), ' '] : h('p', { class: 'hint', text: 'No stored templates: the default one is used.' }),
        h('button', { type: 'button', class: 'quiet', text: 'Clear', onclick: () =>
          showResult(tplSlot, api('DELETE', `/api/v1/${encodeURIComponent(id)}/template`), 'Cleared.').then(() => reload()) })),
      tplSlot);
    tplForm.addEventListener('submit', (e) => {
      e.preventDefault();
      showResult(tplSlot, api('POST', `/api/v1/${encodeURIComponent(id)}/template`, { template: template.value }), 'Set.').then(() => reload());
    });
    controls.append(steerForm, abortBox, moveForm, modelForm, tplForm);
  };

  const reload = debounced(200, load);
  every(30000, load); // as on the board: a catch-up, not the news
  app.page.onEvent = (event) => {
    if (event.issue !== id) return;
    if (event.type === 'job.progress') {
      if (out.job == null || event.data.id === out.job) {
        const p = event.data.progress || {};
        if (output.textContent === 'No output yet.') clear(output);
        addMessages(p.recent_messages);
        progressMeta(p, event.data.tokens);
        const tokensEl = document.getElementById('issue-tokens');
        if (tokensEl && event.data.tokens) tokensEl.textContent = `${fmtTokens(event.data.tokens.input)} in / ${fmtTokens(event.data.tokens.output)} out`;
      } else reload();
    } else if (event.type.startsWith('issue.') || event.type.startsWith('job.')) {
      reload();
    }
  };
  every(1000, () => {
    for (const el of main.querySelectorAll('.elapsed[data-start]')) el.textContent = fmtDuration(elapsed(el.dataset.start));
  });
  load();
}

// ---------------------------------------------------------------- fleet

function pageFleet(main) {
  document.title = 'Fleet — Baton';
  const slot = h('div', { class: 'slot' });
  const ks = h('section', { class: 'panel', id: 'killswitch', 'aria-labelledby': 'ks-h' });
  const workers = h('section', { class: 'panel', id: 'workers', 'aria-labelledby': 'workers-h' });
  const spaces = h('section', { class: 'panel', id: 'workspaces', 'aria-labelledby': 'ws-h' });
  main.append(pageHeader('Fleet'), slot, ks, workers, spaces);

  const load = async () => {
    try {
      const [w, sp, k] = await Promise.all([api('GET', '/api/workers?limit=500'), api('GET', '/api/v1/workspaces'), api('GET', '/tenant/killswitch')]);
      clear(slot);
      drawKillswitch(k);
      drawWorkers(w);
      drawSpaces(sp);
    } catch (err) {
      fill(slot, errorBox(err));
    }
  };

  const ksStatus = h('div', { id: 'ks-status' });
  const ksSlot = h('div', { class: 'slot', 'aria-live': 'polite' }); // kept across rebuilds of the form
  let ksLevel = null;
  const drawKillswitch = (k) => {
    showKillswitchBanner(k.level);
    fill(ksStatus, h('p', null, h('span', { class: `badge level-${k.level}`, id: 'ks-level', text: `Level ${k.level}` }), ' ', k.effect),
      k.set_at ? h('p', { class: 'hint' }, `Set by ${k.set_by || 'unknown'} at `, timeEl(k.set_at), k.reason ? ` — ${k.reason}` : '') : null);
    // The form is kept while the level stays, so a reason being typed survives the refreshes.
    if (ksLevel === k.level) return;
    ksLevel = k.level;
    fill(ks, h('h2', { id: 'ks-h', text: 'Killswitch' }), ksStatus);
    if (!can('operator')) return;
    const radios = h('div', { class: 'levels', role: 'radiogroup', 'aria-labelledby': 'ks-legend' });
    KILLSWITCH.forEach((text, level) => {
      const idr = `ks-${level}`;
      radios.append(h('div', { class: 'check' }, h('input', { type: 'radio', name: 'ks-level', id: idr, value: String(level), checked: level === k.level }),
        h('label', { for: idr }, h('strong', { text: `${level}` }), ` — ${text}`)));
    });
    const reason = h('input', { type: 'text', id: 'ks-reason', maxlength: '500', required: true, placeholder: 'why' });
    const confirmBox = h('div', { class: 'confirm' });
    const send = (level) => showResult(ksSlot, api('POST', '/tenant/killswitch', { level, reason: reason.value.trim() }),
      (r) => `Level ${r.killswitch.level}: ${r.cancelled_jobs} jobs cancelled, ${r.paused_workers} workers paused, ${r.resumed_workers} resumed.`).then(() => load());
    const form = h('form', { class: 'control', id: 'ks-form' },
      h('fieldset', null, h('legend', { id: 'ks-legend', text: 'Set the level' }), radios, field('Reason', reason),
        h('button', { type: 'submit', class: 'danger', text: 'Set level' }), ' ',
        h('button', { type: 'button', class: 'quiet', id: 'ks-clear', text: 'Clear (level 0)', onclick: () =>
          showResult(ksSlot, api('POST', '/tenant/killswitch/clear'), 'Cleared.').then(() => load()) })),
      confirmBox, ksSlot);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const picked = form.querySelector('input[name="ks-level"]:checked');
      const level = picked ? Number(picked.value) : 0;
      clear(confirmBox);
      if (level >= 3) {
        confirmBox.append(h('div', { class: 'error', role: 'alert' },
          h('p', { text: `Level ${level} — ${KILLSWITCH[level]}. Running work in this tenant stops. Are you sure?` }),
          h('button', { type: 'button', class: 'danger', id: 'ks-confirm', text: `Yes, set level ${level}`, onclick: () => { clear(confirmBox); send(level); } }), ' ',
          h('button', { type: 'button', class: 'quiet', text: 'Cancel', onclick: () => clear(confirmBox) })));
        confirmBox.querySelector('#ks-confirm').focus();
      } else send(level);
    });
    ks.append(form);
  };

  const drawWorkers = (w) => {
    fill(workers, h('h2', { id: 'workers-h', text: `Workers (${w.total})` }));
    if (!w.workers.length) { workers.append(h('p', { class: 'empty', text: 'No worker has reported yet.' })); return; }
    const rows = w.workers.map((x) => {
      const top = (x.top_models || []).slice(0, 3).map((m) => m.name || m.model || JSON.stringify(m)).join(', ');
      const actions = can('operator') ? h('td', null, x.paused
        ? h('button', { type: 'button', dataset: { worker: x.instance }, class: 'resume', text: 'Resume', onclick: (e) => act(e.target, `/api/workers/${encodeURIComponent(x.instance)}/resume`) })
        : h('button', { type: 'button', dataset: { worker: x.instance }, class: 'pause', text: 'Pause', onclick: (e) => act(e.target, `/api/workers/${encodeURIComponent(x.instance)}/pause`) })) : null;
      return h('tr', { dataset: { worker: x.instance } },
        h('th', { scope: 'row', text: x.instance }),
        h('td', null, h('span', { class: `badge ${x.online ? 'online' : 'offline'}`, text: x.online ? 'online' : 'offline' }), x.paused ? [' ', h('span', { class: 'badge paused', text: 'paused' })] : ''),
        h('td', { text: `${x.load} / ${x.capacity}` }),
        h('td', { text: String(x.active_jobs) }),
        h('td', { text: (x.providers || [x.provider]).join(', ') }),
        h('td', { text: top || '—' }),
        h('td', { text: `${x.jobs_completed} / ${x.jobs_failed}` }),
        h('td', null, timeEl(x.last_heartbeat_at)),
        actions);
    });
    workers.append(h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, ['Worker', 'Health', 'Load / capacity', 'Active jobs', 'Providers', 'Top models', 'Done / failed', 'Last heartbeat']
        .map((t) => h('th', { scope: 'col', text: t })), can('operator') ? h('th', { scope: 'col', text: 'Actions' }) : null)),
      h('tbody', null, rows))));
  };

  const drawSpaces = (sp) => {
    fill(spaces, h('h2', { id: 'ws-h', text: `Workspaces (${sp.total}, ${fmtBytes(sp.bytes)})` }));
    if (!sp.workspaces.length) { spaces.append(h('p', { class: 'empty', text: 'No workspaces are kept.' })); return; }
    spaces.append(h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, ['Workspace', 'Worker', 'Size', 'Last used', 'In use'].map((t) => h('th', { scope: 'col', text: t })),
        can('operator') ? h('th', { scope: 'col', text: 'Actions' }) : null)),
      h('tbody', null, sp.workspaces.map((x) => h('tr', { dataset: { workspace: x.key } },
        h('th', { scope: 'row' }, x.issue ? h('a', { href: `#/issues/${encodeURIComponent(x.issue)}`, text: x.key }) : x.key),
        h('td', { text: `${x.worker}${x.worker_online ? '' : ' (offline)'}` }),
        h('td', { text: fmtBytes(x.bytes) }),
        h('td', null, timeEl(x.last_used)),
        h('td', { text: x.in_use ? 'yes' : 'no' }),
        can('operator') ? h('td', null, h('button', { type: 'button', class: 'danger remove', text: 'Remove', disabled: x.in_use ? true : null,
          onclick: (e) => act(e.target, `/api/v1/workspaces/${encodeURIComponent(x.key)}`, 'DELETE') })) : null))))));
  };

  const act = (button, path, method = 'POST') => {
    button.disabled = true;
    showResult(slot, api(method, path), 'Done.').then(() => load());
  };

  const reload = debounced(300, load);
  app.page.onEvent = (event) => {
    if (event.type.startsWith('worker.') || event.type.startsWith('workspace.') || event.type === 'killswitch.changed') reload();
  };
  every(15000, load);
  load();
}

// ---------------------------------------------------------------- cost

function barChart(title, items, opts = {}) {
  // items: [{label, value}], drawn as horizontal bars; opts.limit draws the budget line.
  const width = 640;
  const row = 26;
  const left = 170;
  const right = 80;
  const height = Math.max(1, items.length) * row + 30;
  const max = Math.max(opts.limit || 0, ...items.map((i) => i.value), 1e-9);
  const scale = (v) => ((width - left - right) * v) / max;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(s('title', null, title));
  if (!items.length) svg.append(s('text', { x: 10, y: 20, class: 'axis' }, 'Nothing spent in this period.'));
  items.forEach((item, i) => {
    const y = i * row + 4;
    svg.append(s('text', { x: left - 8, y: y + 15, class: 'axis', 'text-anchor': 'end' }, item.label.length > 24 ? `${item.label.slice(0, 23)}…` : item.label),
      s('rect', { x: left, y, width: Math.max(1, scale(item.value)), height: row - 8, class: 'bar', rx: 3 }, s('title', null, `${item.label}: ${fmtUSD(item.value)}`)),
      s('text', { x: left + scale(item.value) + 6, y: y + 15, class: 'value' }, fmtUSD(item.value)));
  });
  if (opts.limit) {
    const x = left + scale(opts.limit);
    svg.append(s('line', { x1: x, x2: x, y1: 0, y2: height - 20, class: 'budget' }),
      s('text', { x: Math.min(x, width - 4), y: height - 6, class: 'budget-label', 'text-anchor': 'end' }, `budget ${fmtUSD(opts.limit)}`));
  }
  return h('figure', { class: 'chart-box' }, h('figcaption', { text: title }), svg);
}

function columnChart(title, items, limit) {
  // items: [{label, value}] by day, drawn as columns with the daily budget as a line.
  const width = 640;
  const height = 220;
  const bottom = 30;
  const top = 16;
  const left = 72;
  const max = Math.max(limit || 0, ...items.map((i) => i.value), 1e-9);
  const slotW = (width - left - 10) / Math.max(1, items.length);
  const y = (v) => height - bottom - ((height - bottom - top) * v) / max;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title });
  svg.append(s('title', null, title), s('line', { x1: left, x2: width - 10, y1: height - bottom, y2: height - bottom, class: 'axis-line' }),
    s('text', { x: left - 6, y: top + 4, class: 'axis', 'text-anchor': 'end' }, fmtUSD(max)),
    s('text', { x: left - 6, y: height - bottom, class: 'axis', 'text-anchor': 'end' }, '$0'));
  items.forEach((item, i) => {
    const x = left + i * slotW + 3;
    svg.append(s('rect', { x, y: y(item.value), width: Math.max(2, slotW - 6), height: Math.max(0, height - bottom - y(item.value)), class: 'bar', rx: 2 },
      s('title', null, `${item.label}: ${fmtUSD(item.value)}`)));
    if (items.length <= 16 || i % 2 === 0) svg.append(s('text', { x: x + (slotW - 6) / 2, y: height - 12, class: 'axis', 'text-anchor': 'middle' }, item.label.slice(5)));
  });
  if (limit) {
    svg.append(s('line', { x1: left, x2: width - 10, y1: y(limit), y2: y(limit), class: 'budget' }),
      s('text', { x: width - 12, y: y(limit) - 4, class: 'budget-label', 'text-anchor': 'end' }, `daily budget ${fmtUSD(limit)}`));
  }
  return h('figure', { class: 'chart-box' }, h('figcaption', { text: title }), svg);
}

function pageCost(main) {
  document.title = 'Cost — Baton';
  const period = h('select', { id: 'period' }, ['day', 'week', 'month'].map((p) => h('option', { value: p, text: { day: 'Today', week: 'This week', month: 'This month' }[p] })));
  const slot = h('div', { class: 'slot' });
  const body = h('div', { class: 'cost' });
  main.append(pageHeader('Cost', field('Period', period)), slot, body);

  const load = async () => {
    try {
      const p = period.value;
      const [summary, breakdown, config, daily, tenants] = await Promise.all([
        api('GET', `/api/cost/summary?period=${p}`), api('GET', `/api/cost/breakdown?period=${p}`),
        api('GET', '/api/v1/config').catch(() => ({})), api('GET', '/api/cost/daily?days=14'),
        // Every tenant's spend is for keys of the system tenant; others see their own.
        api('GET', `/api/cost/tenants?period=${p}`).catch((err) => {
          if (err && err.status === 403) return null;
          throw err;
        }),
      ]);
      clear(slot);
      const budget = config.budget || {};
      const limit = p === 'day' ? budget.daily_limit_usd : p === 'month' ? budget.monthly_limit_usd : null;
      const byProvider = new Map();
      const byModel = new Map();
      for (const item of breakdown.items) {
        byProvider.set(item.provider, (byProvider.get(item.provider) || 0) + item.total_usd);
        const m = `${item.provider} / ${item.model || 'default'}`;
        byModel.set(m, (byModel.get(m) || 0) + item.total_usd);
      }
      const sorted = (m) => [...m.entries()].map(([label, value]) => ({ label, value })).sort((a, b) => b.value - a.value);
      // Spend by day over the last 14 days, from the cost ledger.
      const days = daily.days.map((d) => ({ label: d.date, value: d.total_usd }));
      fill(body, 
        h('dl', { class: 'facts wide totals-box' },
          h('div', null, h('dt', { text: 'Spent' }), h('dd', { id: 'cost-total', text: fmtUSD(summary.total_usd) })),
          h('div', null, h('dt', { text: 'Jobs' }), h('dd', { text: String(summary.jobs) })),
          h('div', null, h('dt', { text: 'Tokens' }), h('dd', { text: `${fmtTokens(summary.tokens.input)} in / ${fmtTokens(summary.tokens.output)} out` })),
          h('div', null, h('dt', { text: 'Budget' }), h('dd', { text: limit != null ? `${fmtUSD(limit)} (${Math.round((100 * summary.total_usd) / (limit || 1))}% used)` : 'none set for this period' }))),
        h('p', { class: 'hint' }, 'From ', timeEl(summary.since), ' to ', timeEl(summary.until), '.'),
        columnChart('Spend by day (UTC, last 14 days)', days, budget.daily_limit_usd),
        barChart('Spend by provider', sorted(byProvider), { limit }),
        barChart('Spend by model', sorted(byModel), { limit }),
        tenants
          ? barChart('Spend by tenant', tenants.items.map((t) => ({ label: t.tenant, value: t.total_usd })), { limit })
          : barChart(`Spend by tenant (a key of ${app.session.tenant} sees its own tenant)`, [{ label: app.session.tenant, value: summary.total_usd }], { limit }));
    } catch (err) {
      fill(slot, errorBox(err));
    }
  };
  period.addEventListener('change', load);
  const reload = debounced(1000, load);
  app.page.onEvent = (event) => { if (['job.completed', 'job.failed', 'job.cancelled'].includes(event.type)) reload(); };
  load();
}

// ---------------------------------------------------------------- settings

function flatten(value, prefix, out) {
  if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.push([prefix, value]);
  return out;
}

function pageSettings(main, tab) {
  document.title = 'Settings — Baton';
  const tabs = [['config', 'Configuration'], ['secrets', 'Secrets'], ['templates', 'Templates'], ['keys', 'API keys'], ['audit', 'Audit log']]
    .filter(([t]) => t !== 'keys' || can('admin'));
  const nav = h('nav', { class: 'tabs', 'aria-label': 'Settings' }, h('ul', null, tabs.map(([t, label]) =>
    h('li', null, h('a', { href: `#/settings/${t}`, 'aria-current': t === tab ? 'page' : null, text: label })))));
  const slot = h('div', { class: 'slot' });
  const body = h('div', { class: 'settings' });
  main.append(pageHeader('Settings'), nav, slot, body);
  const fail = (err) => fill(slot, errorBox(err));
  if (tab === 'secrets') settingsSecrets(body).catch(fail);
  else if (tab === 'templates') settingsTemplates(body).catch(fail);
  else if (tab === 'keys' && can('admin')) settingsKeys(body).catch(fail);
  else if (tab === 'audit') settingsAudit(body).catch(fail);
  else settingsConfig(body).catch(fail);
}

async function settingsConfig(body) {
  const [effective, sources, overlay] = await Promise.all([
    api('GET', '/api/v1/config'), api('GET', '/api/v1/config/sources'), api('GET', '/api/v1/config/overlay').catch(() => ({})),
  ]);
  const rows = flatten(effective, '', []).map(([path, value]) => {
    // The server says which layer each value comes from; a value inside one it names (an entry
    // of a map) takes its nearest named parent's.
    let source = sources.sources[path];
    for (let p = path; source === undefined && p.includes('.'); ) {
      p = p.slice(0, p.lastIndexOf('.'));
      source = sources.sources[p];
    }
    source = source || 'default';
    return h('tr', null, h('th', { scope: 'row' }, h('code', { text: path })), h('td', null, h('code', { text: JSON.stringify(value) })),
      h('td', null, h('span', { class: `badge source-${source.split(' ')[0]}`, text: source })));
  });
  body.append(h('section', { class: 'panel', 'aria-labelledby': 'eff-h' }, h('h2', { id: 'eff-h', text: 'Effective configuration' }),
    h('p', { class: 'hint', text: 'Built-in defaults < file < environment < overlay; each value shows the layer it comes from.' }),
    h('div', { class: 'table-wrap' }, h('table', { class: 'config' }, h('thead', null, h('tr', null, ['Key', 'Value', 'From'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', null, rows)))));
  if (!can('admin')) return;
  const editor = h('textarea', { id: 'overlay-editor', rows: '12', spellcheck: 'false', class: 'code', value: JSON.stringify(overlay, null, 2) });
  const slot = h('div', { class: 'slot', 'aria-live': 'polite' });
  const form = h('form', { id: 'overlay-form', class: 'panel' }, h('h2', { text: 'Runtime overlay' }),
    field('Overlay (JSON, replaces the whole overlay)', editor, 'Validated whole against the schema first; an invalid overlay changes nothing and every problem is listed by its JSON pointer.'),
    h('button', { type: 'submit', class: 'primary', text: 'Save overlay' }), slot);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let doc;
    try { doc = JSON.parse(editor.value || '{}'); } catch (err) { fill(slot, errorBox(new Error(`Not JSON: ${err.message}`))); return; }
    showResult(slot, api('PUT', '/api/v1/config/overlay', doc), 'Saved; it applies now.');
  });
  body.append(form);
}

async function settingsSecrets(body) {
  const list = await api('GET', '/api/v1/secrets?limit=500');
  const slot = h('div', { class: 'slot', 'aria-live': 'polite' });
  const panel = h('section', { class: 'panel', 'aria-labelledby': 'sec-h' }, h('h2', { id: 'sec-h', text: `Secrets (${list.total})` }),
    h('p', { class: 'hint', text: 'Names only: values are never shown by the API.' }), slot);
  const reload = () => { clear(body); settingsSecrets(body).catch((err) => body.append(errorBox(err))); };
  panel.append(h('div', { class: 'table-wrap' }, h('table', null, h('thead', null, h('tr', null, h('th', { scope: 'col', text: 'Name' }), h('th', { scope: 'col', text: 'Updated' }),
    can('operator') ? h('th', { scope: 'col', text: 'Actions' }) : null)),
  h('tbody', null, list.secrets.map((x) => h('tr', null, h('th', { scope: 'row' }, h('code', { text: x.name })), h('td', null, timeEl(x.updated_at)),
    can('operator') ? h('td', null, h('button', { type: 'button', class: 'danger', text: 'Delete', onclick: () => {
      if (window.confirm(`Delete the secret ${x.name}?`)) showResult(slot, api('DELETE', `/api/v1/secrets/${encodeURIComponent(x.name)}`), 'Deleted.').then(reload);
    } })) : null))))));
  body.append(panel);
  if (!can('operator')) return;
  const name = h('input', { type: 'text', id: 'secret-name', maxlength: '64', autocomplete: 'off', pattern: '[A-Za-z0-9._-]+' });
  const value = h('input', { type: 'password', id: 'secret-value', autocomplete: 'off' });
  const form = h('form', { class: 'panel', id: 'secret-form' }, h('h2', { text: 'Set a secret' }), field('Name', name), field('Value', value),
    h('button', { type: 'submit', class: 'primary', text: 'Store' }));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showResult(slot, api('POST', `/api/v1/secrets/${encodeURIComponent(name.value.trim())}`, { value: value.value }), 'Stored.')
      .then((r) => { if (r !== undefined) reload(); });
  });
  body.append(form);
}

async function settingsTemplates(body) {
  const { templates } = await api('GET', '/api/v1/templates');
  const pick = h('select', { id: 'template-pick' }, h('option', { value: '', text: 'New template…' }), templates.map((t) => h('option', { value: t.id, text: t.id })));
  const tid = h('input', { type: 'text', id: 'template-id', maxlength: '64', pattern: '[A-Za-z0-9._-]+' });
  const desc = h('input', { type: 'text', id: 'template-description', maxlength: '500' });
  const text = h('textarea', { id: 'template-body', rows: '14', spellcheck: 'false', class: 'code', readonly: can('operator') ? null : true });
  const preview = h('pre', { class: 'output', id: 'template-preview', 'aria-live': 'polite' });
  const previewTitle = h('h3', { text: 'Preview' });
  const slot = h('div', { class: 'slot', 'aria-live': 'polite' });
  const showTemplate = () => {
    const t = templates.find((x) => x.id === pick.value);
    tid.value = t ? t.id : '';
    tid.readOnly = !!t;
    desc.value = t ? t.description : '';
    text.value = t ? t.body : 'Fix {{ issue.identifier }}: {{ issue.title }}\n\n{{ issue.description }}';
    renderPreview();
  };
  // Live preview: the server renders the body as typed (POST /api/v1/templates/preview: the same
  // engine, limits and sample variables as an attempt's render; nothing is stored).
  let previewTimer = null;
  let previewSeq = 0;
  const renderPreview = () => {
    clearTimeout(previewTimer);
    // Previews are the operator's (each may take a core for up to templates.max_render_ms).
    if (!can('operator')) { previewTitle.textContent = 'Template'; preview.textContent = text.value; return; }
    previewTimer = setTimeout(async () => {
      const seq = ++previewSeq;
      try {
        const r = await api('POST', '/api/v1/templates/preview', { body: text.value });
        if (seq !== previewSeq) return;
        previewTitle.textContent = 'Preview — rendered by the server with sample variables';
        preview.textContent = r.rendered;
      } catch (err) {
        if (seq === previewSeq) fill(preview, errorBox(err));
      }
    }, 300);
  };
  text.addEventListener('input', renderPreview);
  pick.addEventListener('change', showTemplate);
  const form = h('form', { class: 'panel', id: 'template-form' }, h('h2', { text: 'Prompt templates' }), field('Template', pick), field('Id', tid), field('Description', desc),
    h('div', { class: 'split' }, h('div', null, field('Body (strict Liquid subset)', text)),
      h('div', null, previewTitle, preview)),
    can('operator') ? [h('button', { type: 'submit', class: 'primary', text: 'Save' }), ' ',
      h('button', { type: 'button', class: 'danger', text: 'Delete', onclick: () => {
        if (!pick.value || !window.confirm(`Delete the template ${pick.value}?`)) return;
        showResult(slot, api('DELETE', `/api/v1/templates/${encodeURIComponent(pick.value)}`), 'Deleted.').then((r) => { if (r !== undefined) { clear(body); settingsTemplates(body); } });
      } })] : null, slot);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const existing = templates.find((x) => x.id === pick.value);
    const req = existing
      ? api('PUT', `/api/v1/templates/${encodeURIComponent(existing.id)}`, { body: text.value, description: desc.value })
      : api('POST', '/api/v1/templates', { id: tid.value.trim(), body: text.value, description: desc.value });
    showResult(slot, req, 'Saved.').then(async (saved) => {
      if (!saved) return;
      const fresh = await api('GET', '/api/v1/templates');
      templates.splice(0, templates.length, ...fresh.templates);
      while (pick.options.length > 1) pick.remove(1);
      for (const t of templates) pick.append(h('option', { value: t.id, text: t.id }));
      pick.value = saved.id;
      showTemplate();
    });
  });
  body.append(form);
  showTemplate();
}

async function settingsKeys(body) {
  const list = await api('GET', '/api/v1/keys?limit=500');
  const slot = h('div', { class: 'slot', 'aria-live': 'polite' });
  const reload = () => { clear(body); settingsKeys(body).catch((err) => body.append(errorBox(err))); };
  body.append(h('section', { class: 'panel', 'aria-labelledby': 'keys-h' }, h('h2', { id: 'keys-h', text: `API keys (${list.total})` }), slot,
    h('div', { class: 'table-wrap' }, h('table', null, h('thead', null, h('tr', null, ['Id', 'Name', 'Role', 'Tenant', 'Created', 'Last used', 'Revoked', ''].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', null, list.keys.map((k) => h('tr', null, h('th', { scope: 'row' }, h('code', { text: k.id })), h('td', { text: k.name }), h('td', { text: k.role }), h('td', { text: k.tenant }),
        h('td', null, timeEl(k.created_at)), h('td', null, timeEl(k.last_used_at)), h('td', null, timeEl(k.revoked_at)),
        h('td', null, k.revoked_at || k.id === app.session.key_id ? null : h('button', { type: 'button', class: 'danger', text: 'Revoke', onclick: () => {
          if (window.confirm(`Revoke ${k.name} (${k.id})? It stops working at once.`)) showResult(slot, api('DELETE', `/api/v1/keys/${k.id}`), 'Revoked.').then(reload);
        } })))))))));
  const name = h('input', { type: 'text', id: 'key-name', maxlength: '100' });
  const role = h('select', { id: 'key-role' }, ['viewer', 'operator', 'admin', 'worker'].map((r) => h('option', { value: r, text: r })));
  const made = h('div', { class: 'slot', 'aria-live': 'polite' });
  const form = h('form', { class: 'panel', id: 'key-form' }, h('h2', { text: 'Make a key' }), field('Name', name), field('Role', role),
    h('button', { type: 'submit', class: 'primary', text: 'Make key' }), made);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    showResult(made, api('POST', '/api/v1/keys', { name: name.value.trim(), role: role.value })).then((k) => {
      if (!k) return;
      made.append(h('div', { class: 'ok', role: 'status' }, h('p', { text: `The key for ${k.name} (${k.role}) — shown this once:` }),
        h('input', { type: 'text', readonly: true, class: 'code', value: k.key, 'aria-label': 'The new key', onfocus: (ev) => ev.target.select() })));
    });
  });
  body.append(form);
}

/* The chain's state as `baton audit verify` gives it (GET /api/v1/audit/verify): only an admin of
   the system tenant may walk it; anyone else is told where to run the command. */
async function auditVerification() {
  const command = h('p', { class: 'hint' }, 'The log is hash-chained; check the whole chain on the server with ', h('code', { text: 'baton audit verify' }), ' (exit 0: intact; 1 names the first broken entry).');
  if (!can('admin')) return command;
  try {
    const v = await api('GET', '/api/v1/audit/verify');
    const from = v.anchor ? ` from the prune anchor (entries up to ${v.anchor.last_id}, written before ${v.anchor.pruned_before}, were pruned)` : '';
    return v.intact
      ? h('p', { class: 'ok', role: 'status', id: 'audit-verify', text: `Chain intact: ${v.entries} entries verified${from}.` })
      : h('p', { class: 'error', role: 'alert', id: 'audit-verify', text: `Chain broken at entry ${v.entry_id}: ${v.reason}.` });
  } catch (err) {
    if (err && err.status === 403) return command;
    throw err;
  }
}

async function settingsAudit(body) {
  const list = await api('GET', '/api/v1/audit?limit=100');
  const verification = await auditVerification();
  body.append(h('section', { class: 'panel', 'aria-labelledby': 'audit-h' }, h('h2', { id: 'audit-h', text: `Audit log (${list.total} entries, newest first)` }),
    verification,
    h('div', { class: 'table-wrap' }, h('table', null, h('thead', null, h('tr', null, ['When', 'Actor', 'Action', 'Status', 'Count'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', null, list.entries.map((a) => h('tr', null, h('td', null, timeEl(a.at)), h('td', { text: a.actor_name ? `${a.actor} (${a.actor_name})` : a.actor }),
        h('td', null, h('code', { text: a.action }), a.target !== a.action.split(' ')[1] ? h('small', { text: ` ${a.target}` }) : null),
        h('td', { text: a.status == null ? '—' : String(a.status) }), h('td', { text: String(a.count) }))))))));
}

document.addEventListener('DOMContentLoaded', start);
