// Loa operator dashboard. Plain modern JS, no framework, no build step.
// Everything shown comes from the JSON API with the key typed in; text from users (campaign names,
// messages, push titles, carriers' failure reasons) is only ever set as textContent, never parsed as HTML.
'use strict';

const KEY_STORAGE = 'loa.dashboard.key';
const PROGRESS_EVERY_MS = 2000;
const FINAL_EVERY_MS = 10000;
const LIST_EVERY_MS = 5000;
const COVERAGE_EVERY_MS = 60000;
const PAGE_SIZE = 50;
const CHART_MINUTES = 15;
const FINAL = new Set(['completed', 'cancelled', 'failed']);
const CANCELLABLE = new Set(['draft', 'pending_approval', 'scheduled', 'running', 'paused']);

const state = {
  me: null,
  timer: 0,
  generation: 0, // bumped on every view change, so that answers to an old view's requests are dropped
  list: { after: '', back: [], next: null },
  coverageAt: 0, // when the coverage card was last read: it changes slowly and its report folds reach first
  campaign: null, // { id, view, progress, samples, throughputMissing, failuresMissing, tick }
};

const $ = (id) => document.getElementById(id);
const numberFormat = new Intl.NumberFormat('en-US');
const rateFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const timeFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', dateStyle: 'medium', timeStyle: 'medium' });
const clockFormat = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Ho_Chi_Minh', hour: '2-digit', minute: '2-digit', second: '2-digit' });

// ---- small DOM helpers (textContent only) ----

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'class') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const fmt = (n) => numberFormat.format(n ?? 0);
const fmtTime = (iso) => (iso ? timeFormat.format(new Date(iso)) : '—');
const show = (node, visible) => { node.hidden = !visible; };

function setProblem(node, message) {
  node.textContent = message || '';
  show(node, Boolean(message));
}

// ---- the API ----

class ApiError extends Error {}

function key() { return sessionStorage.getItem(KEY_STORAGE); }

/** One call to Loa's JSON API; a 401 signs out (the key is wrong or was revoked). */
async function api(method, path) {
  const k = key();
  if (!k) throw new ApiError('Not signed in.');
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${k}`, Accept: 'application/json' },
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError('Loa cannot be reached; retrying.');
  }
  let body = null;
  if ((response.headers.get('content-type') || '').includes('json')) body = await response.json().catch(() => null);
  if (response.status === 401) {
    signOut('Your key was not accepted (unknown or revoked). Sign in again.');
    throw new ApiError('Unauthorized');
  }
  return { status: response.status, ok: response.ok, body };
}

/** A problem details answer (RFC 9457) as one readable line. */
function problemText(result) {
  const b = result.body;
  if (b && (b.title || b.detail)) {
    const fields = b.errors ? ' ' + Object.entries(b.errors).map(([f, m]) => `${f}: ${[].concat(m).join(' ')}`).join('; ') : '';
    return `${b.title || 'Error'} (${result.status}): ${b.detail || ''}${fields}`.trim();
  }
  return `The request failed with HTTP ${result.status}.`;
}

// ---- sign in / out ----

async function signIn(event) {
  event.preventDefault();
  const input = $('key-input');
  const value = input.value.trim();
  if (!value) return;
  sessionStorage.setItem(KEY_STORAGE, value);
  input.value = '';
  setProblem($('signin-error'), '');
  if (await loadMe()) route();
}

async function loadMe() {
  try {
    const result = await api('GET', '/api/v1/me');
    if (!result.ok) {
      setProblem($('signin-error'), problemText(result));
      return false;
    }
    state.me = result.body;
    $('who-name').textContent = state.me.name;
    $('who-tenant').textContent = state.me.tenant;
    $('who-roles').textContent = state.me.roles.join(', ') || 'no roles';
    show($('who'), true);
    return true;
  } catch (error) {
    if (key()) setProblem($('signin-error'), error.message);
    return false;
  }
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  state.me = null;
  stopPolling();
  show($('who'), false);
  showView('signin');
  setProblem($('signin-error'), message || '');
  $('key-input').focus();
}

function hasRole(...roles) { return Boolean(state.me) && roles.some((r) => state.me.roles.includes(r)); }

// ---- views and routing ----

function showView(name) {
  for (const view of ['signin', 'list', 'campaign']) show($(`${view}-view`), view === name);
  setProblem($('notice'), '');
}

function stopPolling() {
  clearTimeout(state.timer);
  state.timer = 0;
  state.generation++;
}

/** Runs work now and then again after each answer (never two at once), until the view changes. */
function poll(work, everyMs) {
  const generation = state.generation;
  const run = async () => {
    if (generation !== state.generation) return;
    let next = everyMs;
    if (!document.hidden) {
      try {
        const wanted = await work(generation);
        if (typeof wanted === 'number') next = wanted;
      } catch (error) {
        if (generation === state.generation && key()) setProblem($('notice'), error.message);
      }
    }
    if (generation === state.generation) state.timer = setTimeout(run, next);
  };
  run();
}

async function route() {
  stopPolling();
  if (!key()) { showView('signin'); return; }
  if (!state.me && !(await loadMe())) { showView('signin'); return; }
  const match = /^#\/campaigns\/([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (match) openCampaign(match[1]);
  else openList();
}

// ---- campaign list ----

function kindBadge(kind) {
  const labels = { test: 'TEST', emergency: 'EMERGENCY', warning: 'warning', awareness: 'awareness' };
  return el('span', { class: `kind kind-${kind}`, text: labels[kind] || kind });
}

function statusBadge(status) {
  return el('span', { class: `status status-${status}`, text: status.replace('_', ' ') });
}

function openList() {
  showView('list');
  state.coverageAt = 0;
  poll(loadList, LIST_EVERY_MS);
}

async function loadList(generation) {
  const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
  const status = $('status-filter').value;
  if (status) params.set('status', status);
  if (state.list.after) params.set('after', state.list.after);
  const result = await api('GET', `/api/v1/campaigns?${params}`);
  if (generation !== state.generation) return;
  if (!result.ok) { setProblem($('notice'), problemText(result)); return; }
  setProblem($('notice'), '');
  const rows = $('campaign-rows');
  rows.replaceChildren(...result.body.items.map((c) => el('tr',
    { class: `campaign row-${c.kind}`, dataset: { id: c.id, kind: c.kind } },
    el('td', {}, statusBadge(c.status)),
    el('td', {}, kindBadge(c.kind)),
    el('td', { class: 'name' }, el('a', { href: `#/campaigns/${encodeURIComponent(c.id)}`, lang: 'vi', text: c.name })),
    el('td', { text: c.tenant }),
    el('td', { text: fmtTime(c.startedAt) }))));
  show($('list-empty'), result.body.items.length === 0);
  state.list.next = result.body.next;
  $('page-next').disabled = !state.list.next;
  $('page-prev').disabled = state.list.back.length === 0;
  $('page-first').disabled = !state.list.after;
  $('list-updated').textContent = `Updated ${clockFormat.format(new Date())}`;
  if (Date.now() - state.coverageAt >= COVERAGE_EVERY_MS) {
    state.coverageAt = Date.now();
    await loadCoverage(generation);
  }
}

// ---- coverage against the plans' targets ----

const monthFormat = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit' });
const percentFormat = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

/** This year so far (Vietnam time): everyone reached, then each target group, against base and target. Hidden for roles the report refuses. */
async function loadCoverage(generation) {
  const card = $('coverage');
  if (!hasRole('operator', 'approver', 'admin')) { show(card, false); return; }
  const to = monthFormat.format(new Date()).slice(0, 7);
  const from = `${to.slice(0, 4)}-01`;
  const result = await api('GET', `/api/v1/reports/coverage?from=${from}&to=${to}&groupBy=tag`);
  if (generation !== state.generation) return;
  if (!result.ok) { show(card, false); return; }
  const report = result.body;
  const row = (id, label, item) => el('tr', { dataset: { testid: `coverage-${id}` } },
    el('th', { scope: 'row', text: label }),
    el('td', { class: 'num', text: fmt(item.reached) }),
    el('td', { class: 'num', text: item.base === null ? '—' : fmt(item.base) }),
    el('td', { class: 'num', text: item.share === null ? '—' : percentFormat.format(item.share) }),
    el('td', { class: 'num', text: item.targetPercent === null ? '—' : `${rateFormat.format(item.targetPercent)} %` }),
    el('td', { class: item.met === null ? 'met' : item.met ? 'met met-yes' : 'met met-no', text: item.met === null ? '—' : item.met ? 'met' : 'not met' }));
  $('coverage-rows').replaceChildren(
    row('everyone', report.target ? `Everyone (${report.target})` : 'Everyone', report.total),
    ...report.items.map((item) => row(item.tag, item.targetName ? `${item.targetName} (${item.tag})` : item.tag, item)));
  $('coverage-period').textContent = `Distinct people reached by SMS, ${report.from} to ${report.to}` +
    (report.pending > 0 ? ` (${fmt(report.pending)} receipts still being counted)` : '');
  show(card, true);
}

function page(direction) {
  const list = state.list;
  if (direction === 'next' && list.next) { list.back.push(list.after); list.after = list.next; }
  else if (direction === 'prev' && list.back.length) list.after = list.back.pop();
  else if (direction === 'first') { list.after = ''; list.back = []; }
  openList();
}

// ---- one campaign ----

function openCampaign(id) {
  showView('campaign');
  state.campaign = { id, view: null, progress: null, samples: [], throughputMissing: false, failuresMissing: false, tick: 0 };
  for (const node of ['c-name', 'c-kind', 'c-status', 'c-message', 'c-push-title', 'c-push-body', 'totals', 'carriers', 'push-totals', 'fallback-totals', 'push-apps', 'chart', 'failure-rows', 'rate-source', 'failures-note']) $(node).replaceChildren();
  setProblem($('action-error'), '');
  show($('c-banner'), false);
  show($('c-push'), false);
  show($('push-panel'), false);
  show($('failures-table'), true);
  renderActions();
  const generation = state.generation;
  loadCampaign(generation).then(() => poll(refreshCampaign, PROGRESS_EVERY_MS)).catch((error) => setProblem($('notice'), error.message));
}

async function loadCampaign(generation) {
  const c = state.campaign;
  const result = await api('GET', `/api/v1/campaigns/${encodeURIComponent(c.id)}`);
  if (generation !== state.generation) return;
  if (!result.ok) { setProblem($('notice'), problemText(result)); return; }
  renderCampaign(result.body);
}

function renderCampaign(view) {
  const c = state.campaign;
  c.view = view;
  document.title = `${view.name} · Loa`;
  $('c-name').textContent = view.name;
  $('c-kind').replaceWith(Object.assign(kindBadge(view.kind), { id: 'c-kind' }));
  const banner = $('c-banner');
  banner.className = `banner banner-${view.kind}`;
  banner.textContent = view.kind === 'test' ? 'TEST campaign: an exercise, flagged as test end to end.'
    : view.kind === 'emergency' ? 'EMERGENCY warning: highest priority, preempts everything.' : '';
  show(banner, view.kind === 'test' || view.kind === 'emergency');
  $('c-tenant').textContent = view.tenant;
  showPrincipal($('c-created-by'), view.createdBy, view.createdByName);
  showPrincipal($('c-approved-by'), view.approvedBy, view.approvedByName);
  $('c-sms').textContent = view.sms ? `${view.sms.encoding.toUpperCase()}, ${view.sms.parts} part${view.sms.parts === 1 ? '' : 's'}, ${view.sms.length} characters` : '—';
  $('c-message').textContent = view.sms ? view.sms.text : '';
  show($('c-message'), Boolean(view.sms));
  const push = (view.channels || []).includes('push') ? view.message?.push : null;
  $('c-push-title').textContent = push?.title ?? '';
  $('c-push-body').textContent = push?.body ?? '';
  show($('c-push'), Boolean(push));
  // What an approver must not miss: that this campaign corrects another, or was replaced by one
  // (nothing more of it goes out), and for a CAP alert where its text came from and which areas Loa
  // could not place.
  campaignLink($('c-corrects-row'), $('c-corrects'), view.corrects);
  campaignLink($('c-superseded-row'), $('c-superseded-by'), view.supersededBy);
  const cap = view.cap;
  if (cap) {
    const unknown = (cap.unknownGeocodes || []).map((g) => `${g.valueName} ${g.value}`);
    $('c-cap').textContent = [
      `${cap.sender} · ${cap.identifier}`,
      cap.textSource ? `text from ${cap.textSource}` : null,
      unknown.length ? `not placed: ${unknown.join(', ')}` : null,
    ].filter(Boolean).join(' · ');
  }
  show($('c-cap-row'), Boolean(cap));
  setStatus(view.status, view.startedAt, view.completedAt);
}

/**
 * Who wrote or approved a campaign, by the name people know (a key's name, a token's subject, a CAP sender),
 * with the principal id Loa records under it in small type and in full on hover: two keys may share a name,
 * so the id settles which one it was. A name Loa cannot tell (a key no longer in the store) says so.
 */
function showPrincipal(node, id, name) {
  if (!id) {
    node.replaceChildren('—');
    node.removeAttribute('title');
    return;
  }
  node.title = id;
  const label = el('span', { class: name ? 'principal-name' : 'principal-name unknown', text: name || 'name unknown' });
  // A row written before principals had ids holds the name itself: nothing to add under it.
  node.replaceChildren(...(name === id ? [label] : [label, el('span', { class: 'principal-id', text: id })]));
}

function campaignLink(row, node, id) {
  node.replaceChildren(id ? el('a', { href: `#/campaigns/${encodeURIComponent(id)}`, text: id }) : '');
  show(row, Boolean(id));
}

function setStatus(status, startedAt, completedAt) {
  const c = state.campaign;
  const node = $('c-status');
  node.className = `status status-${status}`;
  node.textContent = status.replace('_', ' ');
  node.dataset.status = status;
  $('c-started').textContent = fmtTime(startedAt);
  $('c-completed').textContent = fmtTime(completedAt);
  if (c.view) c.view.status = status;
  renderActions();
}

function renderActions() {
  const status = state.campaign?.view?.status;
  const pause = $('action-pause');
  const resume = $('action-resume');
  const cancel = $('action-cancel');
  show(pause, hasRole('operator'));
  show(resume, hasRole('operator'));
  show(cancel, hasRole('operator', 'approver'));
  pause.disabled = status !== 'running';
  resume.disabled = status !== 'paused';
  cancel.disabled = !CANCELLABLE.has(status);
}

async function refreshCampaign(generation) {
  const c = state.campaign;
  const id = encodeURIComponent(c.id);
  const progress = await api('GET', `/api/v1/campaigns/${id}/progress`);
  if (generation !== state.generation) return undefined;
  if (!progress.ok) { setProblem($('notice'), problemText(progress)); return undefined; }
  setProblem($('notice'), '');
  const p = progress.body;
  c.progress = p;
  c.samples.push({
    t: Date.now(),
    submitted: p.total - p.queued - p.cancelled - p.suppressed,
    delivered: p.delivered,
    failed: p.failed + p.expired,
  });
  const horizon = Date.now() - CHART_MINUTES * 60_000;
  while (c.samples.length > 2 && c.samples[0].t < horizon) c.samples.shift();
  setStatus(p.status, p.startedAt, p.completedAt);
  renderProgress(p);

  await refreshThroughput(generation, id);
  if (c.tick++ % 2 === 0) await refreshFailures(generation, id);
  $('c-updated').textContent = `Updated ${clockFormat.format(new Date())} · refreshes every ${(FINAL.has(p.status) ? FINAL_EVERY_MS : PROGRESS_EVERY_MS) / 1000} s`;
  return FINAL.has(p.status) ? FINAL_EVERY_MS : PROGRESS_EVERY_MS;
}

const SEGMENTS = [
  ['delivered', (p) => p.delivered],
  ['failed', (p) => p.failed],
  ['expired', (p) => p.expired],
  ['cancelled', (p) => p.cancelled],
  ['pending', (p) => p.queued + p.submitted],
  ['suppressed', (p) => p.suppressed],
];

/** A stacked bar of one set of counts; `words` renames segments where the API's word misleads (a push is "accepted", not delivered). */
function bar(node, p, words = {}) {
  const total = Math.max(p.total, 1);
  const word = (name) => words[name] || name;
  node.replaceChildren(...SEGMENTS.map(([name, value]) => {
    const segment = el('span', { class: `seg seg-${name}`, title: `${word(name)}: ${fmt(value(p))}` });
    segment.style.width = `${(100 * value(p)) / total}%`; // CSSOM, allowed under the CSP (no inline style attribute)
    return segment;
  }));
  node.setAttribute('aria-label', SEGMENTS.map(([name, value]) => `${word(name)} ${fmt(value(p))}`).join(', ') + ` of ${fmt(p.total)}`);
}

// A push app's lane is a carrier to the API (`push-<app>`), but it is no network operator: its figures
// go to the Push panel, under the app's name, and stay out of "By carrier".
const PUSH_LANE = 'push-';
const isPushLane = (carrier) => carrier.startsWith(PUSH_LANE);

function figure(name, label, value, extra) {
  return el('div', { class: `total total-${name}` },
    el('span', { class: 'label', text: label }),
    el('span', { class: 'value', text: fmt(value), 'data-testid': name, 'data-value': value }),
    extra ? el('span', { class: 'pct', text: extra, 'data-testid': `${name}-share` }) : null);
}

function renderProgress(p) {
  const pct = (n) => (p.total > 0 ? ` (${rateFormat.format((100 * n) / p.total)}%)` : '');
  const cards = [
    ['total', 'Total', p.total, ''],
    ['delivered', 'Delivered', p.delivered, pct(p.delivered)],
    ['failed', 'Failed', p.failed, pct(p.failed)],
    ['pending', 'Pending', p.queued + p.submitted, ''],
    ['suppressed', 'Suppressed', p.suppressed, ''],
    ['expired', 'Expired', p.expired, ''],
    ['cancelled', 'Cancelled', p.cancelled, ''],
  ];
  $('totals').replaceChildren(
    ...cards.map(([name, label, value, extra]) => el('div', { class: `total total-${name}` },
      el('span', { class: 'label', text: label }),
      el('span', { class: 'value', text: fmt(value), 'data-testid': `total-${name}`, 'data-value': value }),
      extra ? el('span', { class: 'pct', text: extra }) : null)),
    el('div', { class: 'total total-rate' },
      el('span', { class: 'label', text: 'Average rate' }),
      el('span', { class: 'value', text: `${rateFormat.format(p.ratePerSecond)}/s`, 'data-testid': 'total-rate' })));
  bar($('total-bar'), p);

  const lanes = Object.entries(p.byCarrier || {}).sort(([a], [b]) => a.localeCompare(b));
  const carriers = lanes.filter(([carrier]) => !isPushLane(carrier));
  $('carriers').replaceChildren(...carriers.map(([carrier, cp]) => {
    const barNode = el('div', { class: 'bar', role: 'img' });
    bar(barNode, cp);
    const pending = cp.queued + cp.submitted;
    const parts = [`${fmt(cp.delivered)} delivered`, `${fmt(cp.failed)} failed`, `${fmt(pending)} pending`, `${fmt(cp.suppressed)} suppressed`];
    if (cp.expired) parts.push(`${fmt(cp.expired)} expired`);
    if (cp.cancelled) parts.push(`${fmt(cp.cancelled)} cancelled`);
    return el('div', { class: 'carrier', dataset: { carrier } },
      el('div', { class: 'carrier-head' },
        el('strong', { text: carrier }),
        el('span', { class: 'muted', text: `${parts.join(' · ')} — of ${fmt(cp.total)}` })),
      barNode);
  }));
  if (carriers.length === 0) $('carriers').append(el('p', { class: 'muted', text: lanes.length ? 'No SMS so far.' : 'Nothing planned yet.' }));
  renderPush(p, lanes.filter(([carrier]) => isPushLane(carrier)));
}

/** The Push panel: what FCM/APNs took and the phones acknowledged, the SMS fallback, and each app's lane. */
function renderPush(p, apps) {
  show($('push-panel'), Boolean(p.push || p.fallback));
  if (!p.push && !p.fallback) return;
  const push = p.push;
  show($('push-figures'), Boolean(push));
  show($('push-none'), !push);
  if (push) {
    // A topic send is one delivery that reaches every phone subscribed, so its phones' acks can outnumber it:
    // shares are of the device sends only (the figures less their topics part), and topics get their own line.
    const topics = push.topics;
    const devices = (key) => push[key] - (topics ? topics[key] : 0);
    const share = (key) => {
      const accepted = devices('accepted');
      if (accepted <= 0) return '';
      return `${rateFormat.format((100 * devices(key)) / accepted)}% of ${topics ? 'device sends' : 'accepted'}`;
    };
    $('push-totals').replaceChildren(
      figure('push-accepted', 'Accepted by FCM/APNs', push.accepted, ''),
      figure('push-received', 'Received on phones', push.received, share('received')),
      figure('push-opened', 'Opened', push.opened, share('opened')));
    show($('push-topics'), Boolean(topics));
    if (topics) {
      $('push-topics').textContent = `Through topics (${topics.apps.join(', ')}): ${fmt(topics.accepted)} of ${fmt(topics.sends)} topic sends accepted; `
        + `${fmt(topics.received)} phones acknowledged them, ${fmt(topics.opened)} opened. A topic reaches every phone subscribed, so these are not a share of the sends.`;
    }
  }
  show($('fallback'), Boolean(p.fallback));
  if (p.fallback) {
    $('fallback-totals').replaceChildren(
      figure('fallback-sent', 'Fallback SMS sent', p.fallback.sent, ''),
      figure('fallback-saved', 'SMS saved', p.fallback.saved, ''));
  }
  const topicApps = new Set(push?.topics?.apps ?? []);
  $('push-apps').replaceChildren(...apps.map(([lane, ap]) => {
    const app = lane.slice(PUSH_LANE.length);
    const barNode = el('div', { class: 'bar', role: 'img' });
    bar(barNode, ap, { delivered: 'accepted' });
    const parts = [`${fmt(ap.delivered)} accepted`, `${fmt(ap.failed)} failed`, `${fmt(ap.queued + ap.submitted)} pending`];
    if (ap.suppressed) parts.push(`${fmt(ap.suppressed)} suppressed`);
    if (ap.expired) parts.push(`${fmt(ap.expired)} expired`);
    if (ap.cancelled) parts.push(`${fmt(ap.cancelled)} cancelled`);
    return el('div', { class: 'carrier push-app', dataset: { app } },
      el('div', { class: 'carrier-head' },
        el('strong', {}, document.createTextNode('App '), el('span', { class: 'app-name', text: app })),
        el('span', { class: 'muted', text: `${parts.join(' · ')} — of ${fmt(ap.total)} ${topicApps.has(app) ? 'topic sends' : 'devices'}` })),
      barNode);
  }));
  if (apps.length === 0) $('push-apps').append(el('p', { class: 'muted', text: 'No app has pushes yet.' }));
}

// ---- send rate chart ----

async function refreshThroughput(generation, id) {
  const c = state.campaign;
  let series = null;
  let source = 'Computed from progress samples since this page opened (this server has no throughput endpoint).';
  if (!c.throughputMissing) {
    const result = await api('GET', `/api/v1/campaigns/${id}/throughput?minutes=${CHART_MINUTES}`);
    if (generation !== state.generation) return;
    // The campaign answered progress, so a 404 here means the endpoint itself is missing.
    if (result.status === 404 && c.progress) c.throughputMissing = true;
    else if (result.ok) {
      series = fromThroughput(result.body);
      source = `From the throughput endpoint, ${series.bucketSeconds} s buckets, last ${CHART_MINUTES} minutes.`;
    } else source = `Computed from progress samples for now: ${problemText(result)}`;
  }
  series ??= fromSamples(c.samples);
  $('rate-source').textContent = source;
  drawChart($('chart'), series);
}

function fromThroughput(body) {
  const bucket = body.bucketSeconds || 10;
  const now = Date.now();
  const startedAt = state.campaign.progress?.startedAt ? Date.parse(state.campaign.progress.startedAt) : 0;
  const points = (body.items || [])
    .map((item) => {
      const at = Date.parse(item.at);
      // The newest bucket is still filling: divide by the part of it that has passed.
      const seconds = Math.min(bucket, Math.max(1, (now - at) / 1000));
      return { t: at, submitted: item.submitted / seconds, delivered: item.delivered / seconds, failed: item.failed / seconds };
    })
    .filter((point) => point.t + bucket * 1000 >= startedAt)
    .sort((a, b) => a.t - b.t);
  return { bucketSeconds: bucket, points };
}

function fromSamples(samples) {
  const points = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const seconds = (b.t - a.t) / 1000;
    if (seconds <= 0) continue;
    const rate = (name) => Math.max(0, (b[name] - a[name]) / seconds);
    points.push({ t: b.t, submitted: rate('submitted'), delivered: rate('delivered'), failed: rate('failed') });
  }
  return { bucketSeconds: PROGRESS_EVERY_MS / 1000, points };
}

function niceCeiling(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((n) => n >= value);
}

function drawChart(container, series) {
  const width = 640;
  const height = 220;
  const pad = { left: 48, right: 12, top: 12, bottom: 28 };
  const points = series.points;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'rate-chart' });
  const peak = Math.max(0, ...points.flatMap((p) => [p.submitted, p.delivered, p.failed]));
  const top = niceCeiling(peak);
  const now = Date.now();
  // From the campaign's start (at most CHART_MINUTES back), never less than half a minute wide.
  const started = Date.parse(state.campaign?.progress?.startedAt ?? '');
  let from = Number.isFinite(started) ? Math.max(started, now - CHART_MINUTES * 60_000) : now - 60_000;
  if (points.length) from = Math.min(from, points[0].t);
  from = Math.min(from, now - 30_000);
  const to = Math.max(now, points.length ? points[points.length - 1].t : now);
  const x = (t) => pad.left + ((t - from) / Math.max(1, to - from)) * (width - pad.left - pad.right);
  const y = (v) => height - pad.bottom - (v / top) * (height - pad.top - pad.bottom);

  for (let i = 0; i <= 4; i++) {
    const value = (top * i) / 4;
    root.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(value), y2: y(value), class: 'grid' }));
    root.append(svg('text', { x: pad.left - 6, y: y(value) + 4, class: 'axis', 'text-anchor': 'end' }, rateFormat.format(value)));
  }
  for (const t of [from, from + (to - from) / 2, to]) {
    root.append(svg('text', { x: x(t), y: height - 8, class: 'axis', 'text-anchor': t === from ? 'start' : t === to ? 'end' : 'middle' }, clockFormat.format(new Date(t))));
  }
  for (const name of ['submitted', 'delivered', 'failed']) {
    if (points.length === 0) continue;
    const path = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p[name]).toFixed(1)}`).join(' ');
    root.append(svg('path', { d: path, class: `line line-${name}` }));
  }
  if (points.length === 0) root.append(svg('text', { x: width / 2, y: height / 2, class: 'axis', 'text-anchor': 'middle' }, 'No sends yet'));
  const last = points[points.length - 1];
  root.setAttribute('aria-label', last
    ? `Latest: ${rateFormat.format(last.submitted)} submitted, ${rateFormat.format(last.delivered)} delivered, ${rateFormat.format(last.failed)} failed per second`
    : 'No sends yet');
  container.replaceChildren(root);
}

// ---- failures by reason ----

async function refreshFailures(generation, id) {
  const c = state.campaign;
  if (c.failuresMissing) return;
  const result = await api('GET', `/api/v1/campaigns/${id}/failures`);
  if (generation !== state.generation) return;
  if (result.status === 404 && c.progress) {
    c.failuresMissing = true;
    show($('failures-table'), false);
    $('failures-note').textContent = 'This server does not break failures down by reason yet; the failed counts above are exact.';
    return;
  }
  if (!result.ok) { $('failures-note').textContent = problemText(result); return; }
  const items = [...(result.body.items || [])].sort((a, b) => b.count - a.count);
  $('failure-rows').replaceChildren(...items.map((f) => el('tr', {},
    el('td', { text: f.reason || '(no reason given)' }),
    el('td', { text: f.carrier }),
    el('td', { class: 'num', text: fmt(f.count) }))));
  $('failures-note').textContent = items.length === 0 ? 'No failures.' : '';
}

// ---- actions with an in-page confirmation ----

const ACTIONS = {
  pause: { title: 'Pause this campaign?', text: 'No new messages go out until it is resumed; a batch already at a carrier finishes.', yes: 'Pause' },
  resume: { title: 'Resume this campaign?', text: 'Sending starts again where it stopped.', yes: 'Resume' },
  cancel: { title: 'Cancel this campaign?', text: 'No new messages go out (within 5 seconds) and it cannot be resumed. Messages already at a carrier may still be delivered.', yes: 'Yes, cancel it' },
};

/** Resolves true when the user confirms; Escape or "Go back" resolve false. */
function confirmAction(action, name) {
  const dialog = $('confirm');
  const words = ACTIONS[action];
  $('confirm-title').textContent = words.title;
  $('confirm-text').replaceChildren(el('strong', { lang: 'vi', text: name }), document.createTextNode(` — ${words.text}`));
  $('confirm-yes').textContent = words.yes;
  $('confirm-yes').className = action === 'cancel' ? 'danger' : '';
  return new Promise((resolve) => {
    const done = (answer) => () => dialog.close(answer);
    const yes = done('yes');
    const no = done('no');
    $('confirm-yes').addEventListener('click', yes, { once: true });
    $('confirm-no').addEventListener('click', no, { once: true });
    dialog.addEventListener('close', () => {
      $('confirm-yes').removeEventListener('click', yes);
      $('confirm-no').removeEventListener('click', no);
      resolve(dialog.returnValue === 'yes');
    }, { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

async function act(action) {
  const c = state.campaign;
  if (!c?.view) return;
  setProblem($('action-error'), '');
  if (!(await confirmAction(action, c.view.name))) return;
  const generation = state.generation;
  try {
    const result = await api('POST', `/api/v1/campaigns/${encodeURIComponent(c.id)}/${action}`);
    if (generation !== state.generation) return;
    if (!result.ok) { setProblem($('action-error'), problemText(result)); return; }
    renderCampaign(result.body);
    // See the change at once rather than at the next tick.
    stopPolling();
    poll(refreshCampaign, PROGRESS_EVERY_MS);
  } catch (error) {
    setProblem($('action-error'), error.message);
  }
}

// ---- wiring ----

document.addEventListener('DOMContentLoaded', () => {
  $('signin-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => { location.hash = '#/'; signOut(''); });
  $('status-filter').addEventListener('change', () => page('first'));
  $('page-next').addEventListener('click', () => page('next'));
  $('page-prev').addEventListener('click', () => page('prev'));
  $('page-first').addEventListener('click', () => page('first'));
  for (const button of document.querySelectorAll('#actions button[data-action]')) {
    button.addEventListener('click', () => act(button.dataset.action));
  }
  window.addEventListener('hashchange', route);
  route();
});
