// Loa console for officials. Plain modern JS, no framework, no build step.
// Every label comes from the string tables (/console/vi.json, /console/en.json) through t(); text from
// users (campaign names, messages, list errors) is only ever set as textContent, never parsed as HTML.
'use strict';

const KEY_STORAGE = 'loa.console.key';
const LANG_STORAGE = 'loa.console.lang';
const LAST_LIST_STORAGE = 'loa.console.lastList';
const LANGUAGES = ['vi', 'en'];
const LOCALES = { vi: 'vi-VN', en: 'en-GB' };
const ZONE = 'Asia/Ho_Chi_Minh';
const FINAL = new Set(['completed', 'cancelled', 'failed']);
const CANCELLABLE = new Set(['draft', 'pending_approval', 'scheduled', 'running', 'paused']);
const PROGRESS_EVERY_MS = 2000;
const MEASURE_AFTER_MS = 250;
const PREVIEW_AFTER_MS = 500;
const CARRIERS = ['viettel', 'vinaphone', 'mobifone', 'vietnamobile', 'gmobile'];
const RESENDABLE = new Set(['completed', 'failed', 'cancelled']);

const state = {
  lang: 'vi',
  strings: {},
  languageApplied: null, // called when some language's strings are applied (a load overtaken by a later choice applies nothing)
  me: null,
  generation: 0, // bumped on every view change, so that answers to an old view's requests are dropped
  timer: 0,
  provinces: null,
  list: { after: '', next: null },
  audit: { after: '', next: null },
  communes: { after: '', turn: 0, size: 0 },
  campaign: null,
  measureTimer: 0,
  measureSeq: 0,
  previewTimer: 0,
  previewSeq: 0,
  templates: [],
  joinable: [],
  apps: null,
  library: { after: '', items: [], editing: null, original: null },
  lists: { after: '', items: [] },
};

const $ = (id) => document.getElementById(id);
const show = (node, visible) => { node.hidden = !visible; };

// ---- strings, numbers and dates ----

/** The string for key in the current language, {name} placeholders filled; a missing key shows as ⟦key⟧ so a spec can catch it. */
function t(key, vars) {
  const text = state.strings[key];
  if (text === undefined) return `⟦${key}⟧`;
  return vars ? text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`)) : text;
}

const fmt = (n) => new Intl.NumberFormat(LOCALES[state.lang]).format(n ?? 0);

/**
 * A string about n things, n formatted: the key's `.one` form where the language says "one" for n (English "1 list";
 * Vietnamese has no such form, and its table repeats the key's text), else the key itself.
 */
function tn(key, n, vars = {}) {
  const one = new Intl.PluralRules(LOCALES[state.lang]).select(Number(n ?? 0)) === 'one';
  return t(one && `${key}.one` in state.strings ? `${key}.one` : key, { ...vars, n: fmt(n) });
}
const fmtTime = (iso) => (iso ? new Intl.DateTimeFormat(LOCALES[state.lang], { timeZone: ZONE, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '—');

/**
 * Loads and applies a language's strings. Returns false, applying nothing, when another language was asked
 * for while these loaded: the last choice wins, whichever answer comes back first.
 */
async function loadLanguage(lang) {
  const turn = state.languageTurn = (state.languageTurn ?? 0) + 1;
  const response = await fetch(`/console/${lang}.json`, { cache: 'no-cache', credentials: 'omit' });
  const strings = await response.json();
  if (turn !== state.languageTurn) return false;
  state.strings = strings;
  state.languageApplied?.();
  state.lang = lang;
  document.documentElement.lang = lang;
  localStorage.setItem(LANG_STORAGE, lang);
  $('lang').value = lang;
  translateStatic();
  return true;
}

function translateStatic() {
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll('[data-i18n-aria-label]')) node.setAttribute('aria-label', t(node.dataset.i18nAriaLabel));
  document.title = t('title');
}

// ---- small DOM helpers (textContent only) ----

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = String(value);
    else if (name === 'class') node.className = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function setProblem(node, message) {
  node.textContent = message || '';
  show(node, Boolean(message));
}

// ---- the API ----

class ApiError extends Error {
  constructor(message, status, problem) { super(message); this.status = status; this.problem = problem; }
}

const key = () => sessionStorage.getItem(KEY_STORAGE);

/** Problem types the console names in the reader's language; the server's detail (English) follows. */
const PROBLEM_TYPES = ['validation', 'status-conflict', 'superseded', 'two-person-rule', 'tenant', 'role', 'not-found', 'duplicate',
  'sms-too-long', 'channel-unavailable', 'unreadable', 'too-large', 'list-too-large', 'media-type', 'rate-limited', 'nothing-to-resend'];

/**
 * The API's field names (ProblemDetails errors) the console names in the reader's language, by the label of
 * the control that holds them; an index ([2]) is the field's own. A field not here shows as the API names it.
 */
const FIELD_NAMES = {
  name: 'compose.name', kind: 'compose.kind', channels: 'compose.channels', 'message.sms': 'compose.text',
  'message.push.title': 'compose.pushHeading', 'message.push.body': 'compose.pushBody', 'audience.lists': 'compose.lists',
  'audience.provinces': 'compose.provinces', 'audience.apps': 'compose.apps', 'audience.languages': 'compose.languages',
  'schedule.startAt': 'compose.start', 'schedule.expiresAt': 'compose.expires', 'schedule.recurrence': 'compose.recurrence',
  'schedule.window': 'campaign.window', fromTemplate: 'compose.template', joins: 'compose.joins',
  title: 'templates.field.title', sms: 'templates.field.sms', smsUnaccented: 'templates.field.smsUnaccented',
  'push.title': 'templates.field.pushTitle', 'push.body': 'templates.field.pushBody', tags: 'templates.field.tags',
};

/**
 * Field errors the API writes (in English, its one language) that the console says in the reader's language:
 * the server's exact text, and its key. Any other message is shown as the server wrote it.
 */
const FIELD_MESSAGES = {
  'kind must be one of: emergency, warning, awareness, test.': 'fieldError.kind',
  'A campaign needs a name of at most 200 characters.': 'fieldError.campaignName',
  'Name at least one channel: sms, push.': 'fieldError.channels',
  'An sms campaign needs message.sms.': 'fieldError.sms',
  'A push campaign needs message.push.title.': 'fieldError.pushTitle',
  'A push campaign needs message.push.body.': 'fieldError.pushBody',
  "Name at least one list: the sms channel reaches the lists' numbers.": 'fieldError.lists',
  'An emergency happens once; schedule recurring warnings or awareness instead.': 'fieldError.emergencyRecurs',
  'A template needs an SMS text, a push text or both.': 'fieldError.templateText',
  'The unaccented form still has Vietnamese tone or vowel marks.': 'fieldError.stillAccented',
  "A tag is 1 to 64 characters of a-z, 0-9 and '-', starting with a letter or digit (e.g. student, civil-servant).": 'fieldError.tag',
  'A commune code is 5 digits, as the GSO numbers it (00004).': 'fieldError.communeCode',
  'A commune needs a name of at most 200 characters.': 'fieldError.communeName',
  'No province has this code (any code GET /api/v1/provinces/{code} reads).': 'fieldError.communeProvince',
};

const fieldName = (field) => { const key = FIELD_NAMES[field.replace(/\[\d+\]$/, '')]; return key ? t(key) : field; };
const fieldMessage = (message) => (FIELD_MESSAGES[message] ? t(FIELD_MESSAGES[message]) : message);

/** A problem's words for people: its type in the reader's language, then its field errors when there are some, else its detail. */
function describe(status, problem) {
  if (!problem) return t('problem.status', { status });
  const type = (problem.type || '').split('/').pop();
  const title = PROBLEM_TYPES.includes(type) ? t(`problem.type.${type}`) : (problem.title || t('problem.status', { status }));
  const fields = problem.errors ? Object.entries(problem.errors).map(([field, messages]) => `${fieldName(field)}: ${messages.map(fieldMessage).join(' ')}`) : [];
  return `${title} (${status}): ${fields.length ? fields.join(' · ') : (problem.detail || '')}`;
}

async function api(method, path, body, contentType = 'application/json') {
  const k = key();
  if (!k) throw new ApiError(t('problem.signedOut'), 401);
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: { Authorization: `Bearer ${k}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': contentType }) },
      body: body === undefined ? undefined : (contentType === 'application/json' ? JSON.stringify(body) : body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(t('problem.unreachable'), 0);
  }
  if (response.status === 401) {
    signOut(t('problem.keyRefused'));
    throw new ApiError(t('problem.keyRefused'), 401);
  }
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(describe(response.status, json), response.status, json);
  return json;
}

// ---- sign in, roles, navigation ----

const has = (role) => Boolean(state.me?.roles.includes(role));

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  state.me = null;
  setProblem($('signin-error'), message);
  location.hash = '#/';
  route();
}

async function signIn(k) {
  sessionStorage.setItem(KEY_STORAGE, k);
  try {
    state.me = await api('GET', '/api/v1/me');
  } catch (error) {
    sessionStorage.removeItem(KEY_STORAGE);
    setProblem($('signin-error'), error.message);
    return false;
  }
  setProblem($('signin-error'), '');
  return true;
}

function renderWho() {
  show($('who'), Boolean(state.me));
  show($('nav'), Boolean(state.me));
  if (!state.me) return;
  $('who-name').textContent = state.me.name;
  $('who-roles').textContent = state.me.roles.map((r) => t(`role.${r}`)).join(', ');
  for (const link of $('nav').querySelectorAll('[data-role]')) show(link, has(link.dataset.role));
}

const VIEWS = ['signin-view', 'list-view', 'upload-view', 'templates-view', 'compose-view', 'campaign-view', 'keys-view', 'audit-view', 'communes-view'];

function showView(id) {
  for (const view of VIEWS) show($(view), view === id);
  for (const link of $('nav').querySelectorAll('a')) {
    if (link.getAttribute('href') === (location.hash || '#/')) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function route() {
  state.generation++;
  clearTimeout(state.timer);
  setProblem($('notice'), '');
  // A new key's secret is shown once: hiding it would leave it in the page, readable after leaving or signing out.
  $('key-secret-value').textContent = '';
  if (!state.me && key() && !(await signIn(key()))) { /* the stored key no longer works */ }
  renderWho();
  if (!state.me) { showView('signin-view'); $('key-input').focus(); return; }
  const [hash, query] = (location.hash || '#/').split('?');
  const campaign = hash.match(/^#\/campaigns\/([\w-]+)$/);
  if (campaign) return openCampaign(campaign[1]);
  switch (hash) {
    case '#/compose': return openCompose(new URLSearchParams(query ?? '').get('template'));
    case '#/templates': return openTemplates();
    case '#/upload': return openUpload();
    case '#/review': $('status-filter').value = 'pending_approval'; return openList();
    case '#/keys': return openKeys();
    case '#/audit': return openAudit();
    case '#/communes': return openCommunes();
    default: return openList();
  }
}

// ---- labels for the API's words ----

const statusLabel = (s) => t(`status.${s}`);
const kindLabel = (k) => t(`kind.${k}`);
const carrierLabel = (c) => (c === 'none' ? t('carrier.none') : c.charAt(0).toUpperCase() + c.slice(1));
const reasonLabel = (r) => t(`suppressed.${r}`);
const provinceName = (code) => state.provinces?.find((p) => p.code === code)?.name ?? code;

async function provinces() {
  if (!state.provinces) state.provinces = (await api('GET', '/api/v1/provinces')).items;
  return state.provinces;
}

function duration(seconds) {
  if (seconds < 60) return tn('time.seconds', Math.max(1, seconds));
  if (seconds < 3600) return tn('time.minutes', Math.ceil(seconds / 60));
  return tn('time.hours', Math.round(seconds / 360) / 10);
}

// ---- campaigns list (and the approver's queue) ----

async function openList(more = false) {
  showView('list-view');
  const generation = state.generation;
  $('list-title').textContent = location.hash === '#/review' ? t('nav.review') : t('list.title');
  if (!more) { state.list.after = ''; $('campaign-rows').replaceChildren(); }
  try {
    const status = $('status-filter').value;
    const page = await api('GET', `/api/v1/campaigns?limit=100&status=${encodeURIComponent(status)}&after=${encodeURIComponent(state.list.after)}`);
    if (generation !== state.generation) return;
    for (const c of page.items) {
      $('campaign-rows').append(el('tr', { class: `kind-${c.kind}` },
        el('td', {}, el('span', { class: `status s-${c.status}`, text: statusLabel(c.status) })),
        el('td', {}, el('span', { class: `kind k-${c.kind}`, text: kindLabel(c.kind) })),
        el('td', { lang: 'vi' }, el('a', { href: `#/campaigns/${c.id}`, text: c.name })),
        el('td', { text: fmtTime(c.createdAt) })));
    }
    state.list.next = page.next;
    state.list.after = page.next ?? '';
    show($('list-more'), Boolean(page.next));
    show($('list-empty'), $('campaign-rows').children.length === 0);
  } catch (error) {
    setProblem($('notice'), error.message);
  }
}

// ---- upload a list ----

/** The list uploaded last in this tab: the compose screen ticks it for the author. */
function rememberList(list) { sessionStorage.setItem(LAST_LIST_STORAGE, list.id); }

function openUpload() {
  showView('upload-view');
  show($('upload-result'), false);
  setProblem($('upload-error'), '');
}

/** XMLHttpRequest rather than fetch: only it reports upload progress, for the bar. */
function uploadList(name, file) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/v1/lists?name=${encodeURIComponent(name)}`);
    request.setRequestHeader('Authorization', `Bearer ${key()}`);
    request.setRequestHeader('Content-Type', 'text/csv');
    request.setRequestHeader('Accept', 'application/json');
    request.upload.onprogress = (e) => { if (e.lengthComputable) $('upload-progress').value = Math.round((100 * e.loaded) / e.total); };
    request.onload = () => {
      const json = request.responseText ? JSON.parse(request.responseText) : null;
      if (request.status === 201) resolve(json);
      else reject(new ApiError(describe(request.status, json), request.status, json));
    };
    request.onerror = () => reject(new ApiError(t('problem.unreachable'), 0));
    request.send(file);
  });
}

async function onUpload(event) {
  event.preventDefault();
  const file = $('upload-file').files[0];
  if (!file) return;
  setProblem($('upload-error'), '');
  show($('upload-result'), false);
  $('upload-progress').value = 0;
  show($('upload-progress-row'), true);
  $('upload-button').disabled = true;
  try {
    const result = await uploadList($('upload-name').value.trim(), file);
    $('upload-progress').value = 100;
    rememberList(result);
    $('upload-accepted').textContent = fmt(result.accepted);
    $('upload-rejected').textContent = fmt(result.rejected);
    $('upload-duplicates').textContent = fmt(result.duplicates);
    $('upload-errors').replaceChildren(...result.errors.map((e) => el('tr', {}, el('td', { class: 'num', text: fmt(e.line) }), el('td', { text: e.reason }))));
    show($('upload-errors-table'), result.errors.length > 0);
    show($('upload-result'), true);
  } catch (error) {
    setProblem($('upload-error'), error.message);
  } finally {
    $('upload-button').disabled = false;
  }
}

// ---- the template library ----

/** The API's field names (docs/api.md, Templates) and the form's element for each; a field error shows under its element. */
const TEMPLATE_FIELDS = { title: 'tpl-title', kind: 'tpl-kind', sms: 'tpl-sms', smsUnaccented: 'tpl-sms-plain', 'push.title': 'tpl-push-title', 'push.body': 'tpl-push-body', tags: 'tpl-tags' };

/** A national template is the shared library: provinces read it, only national authors change it (the API answers 403 otherwise). */
const templateWritable = (tpl) => !tpl.national || state.me.tenant === 'national';

async function openTemplates(more = false) {
  showView('templates-view');
  const generation = state.generation;
  setProblem($('templates-error'), '');
  if (!more) {
    state.library = { after: '', items: [], editing: null, original: null };
    $('template-rows').replaceChildren();
    $('tpl-saved').textContent = '';
    show($('tpl-form'), false);
  }
  try {
    const page = await api('GET', `/api/v1/templates?limit=100${state.library.after ? `&after=${encodeURIComponent(state.library.after)}` : ''}`);
    if (generation !== state.generation) return;
    await provinces();
    state.library.items.push(...page.items);
    state.library.after = page.next ?? '';
    for (const tpl of page.items) $('template-rows').append(templateRow(tpl));
    show($('templates-more'), Boolean(page.next));
    show($('templates-empty'), state.library.items.length === 0);
  } catch (error) {
    setProblem($('templates-error'), error.message);
  }
}

function templateRow(tpl) {
  const compose = el('button', { type: 'button', class: 'quiet small', 'aria-label': t('templates.composeNamed', { title: tpl.title }), text: t('templates.compose') });
  compose.addEventListener('click', () => { location.hash = `#/compose?template=${encodeURIComponent(tpl.id)}`; });
  let edit;
  if (templateWritable(tpl)) {
    edit = el('button', { type: 'button', class: 'quiet small', 'aria-label': t('templates.editNamed', { title: tpl.title }), text: t('templates.edit') });
    edit.addEventListener('click', () => editTemplate(tpl));
  } else {
    edit = el('span', { class: 'muted small', text: t('templates.readOnly') });
  }
  return el('tr', { 'data-template': tpl.id },
    el('th', { scope: 'row', lang: 'vi', text: tpl.title }),
    el('td', {}, el('span', { class: `kind k-${tpl.kind}`, text: kindLabel(tpl.kind) })),
    el('td', { text: tpl.national ? t('templates.national') : provinceName(tpl.tenant) }),
    el('td', { text: tpl.tags.join(', ') }),
    el('td', { text: fmtTime(tpl.updatedAt ?? tpl.createdAt) }),
    el('td', {}, el('div', { class: 'inline' }, compose, edit)));
}

function clearTemplateErrors() {
  for (const id of Object.values(TEMPLATE_FIELDS)) setProblem($(`${id}-error`), '');
  setProblem($('tpl-form-error'), '');
}

/** Opens the form for a new template (tpl null) or to change one. */
function editTemplate(tpl) {
  state.library.editing = tpl?.id ?? null;
  state.library.original = tpl;
  clearTemplateErrors();
  $('tpl-saved').textContent = '';
  $('tpl-form-title').textContent = tpl ? t('templates.editTitle', { title: tpl.title }) : t('templates.newTitle');
  $('tpl-title').value = tpl?.title ?? '';
  $('tpl-kind').value = tpl?.kind ?? '';
  $('tpl-sms').value = tpl?.sms ?? '';
  $('tpl-sms-plain').value = tpl?.smsUnaccented ?? '';
  $('tpl-push-title').value = tpl?.push?.title ?? '';
  $('tpl-push-body').value = tpl?.push?.body ?? '';
  $('tpl-tags').value = (tpl?.tags ?? []).join(', ');
  show($('tpl-form'), true);
  $('tpl-title').focus();
}

async function onSaveTemplate(event) {
  event.preventDefault();
  clearTemplateErrors();
  const pushTitle = $('tpl-push-title').value.trim();
  const pushBody = $('tpl-push-body').value.trim();
  const body = {
    title: $('tpl-title').value.trim(),
    kind: $('tpl-kind').value || null,
    sms: $('tpl-sms').value.trim() || null,
    smsUnaccented: $('tpl-sms-plain').value.trim() || null,
    push: pushTitle || pushBody ? { title: pushTitle || null, body: pushBody } : null,
    tags: words('tpl-tags'),
  };
  const editing = state.library.editing;
  const before = state.library.original;
  // An unaccented form left as it was beside a changed SMS would be the old text: the server works it out again instead.
  if (before && body.sms !== (before.sms ?? null) && body.smsUnaccented === (before.smsUnaccented ?? null)) body.smsUnaccented = null;
  $('tpl-save').disabled = true;
  try {
    const saved = editing ? await api('PUT', `/api/v1/templates/${encodeURIComponent(editing)}`, body) : await api('POST', '/api/v1/templates', body);
    await openTemplates();
    $('tpl-saved').textContent = t('templates.saved', { title: saved.title });
  } catch (error) {
    const errors = error.problem?.errors ?? {};
    let placed = 0;
    for (const [field, messages] of Object.entries(errors)) {
      // tags[2] is a tag's own error: it shows under the tags field.
      const id = TEMPLATE_FIELDS[field.replace(/\[\d+\]$/, '')];
      if (!id) continue;
      const node = $(`${id}-error`);
      setProblem(node, [node.textContent, ...messages.map(fieldMessage)].filter(Boolean).join(' '));
      placed++;
    }
    setProblem($('tpl-form-error'), placed ? t('templates.fixFields') : error.message);
    const first = Object.keys(errors).map((f) => TEMPLATE_FIELDS[f.replace(/\[\d+\]$/, '')]).find(Boolean);
    if (first) $(first).focus();
  } finally {
    $('tpl-save').disabled = false;
  }
}

// ---- compose ----

const checkedValues = (selector) => [...document.querySelectorAll(selector)].filter((i) => i.checked).map((i) => i.value);
const words = (id) => $(id).value.split(/[\s,;]+/).map((w) => w.trim()).filter(Boolean);

/** @param {string|null} templateId a template to start from, when the author came from the template library. */
async function openCompose(templateId) {
  showView('compose-view');
  setProblem($('compose-error'), '');
  show($('c-joins-row'), state.me.tenant !== 'national');
  try {
    const all = await provinces();
    if ($('c-provinces').children.length === 0) {
      $('c-provinces').replaceChildren(...all.map((p) => el('label', { class: 'choice' },
        el('input', { type: 'checkbox', name: 'province', value: p.code }), ' ', el('span', { lang: 'vi', text: p.name }))));
      $('c-exc-provinces').replaceChildren(...all.map((p) => el('option', { value: p.code, lang: 'vi', text: p.name })));
      for (const side of ['inc', 'exc']) {
        $(`c-${side}-carriers`).replaceChildren(...CARRIERS.map((c) => el('label', { class: 'choice' },
          el('input', { type: 'checkbox', name: `${side}-carrier`, value: c }), ' ', el('span', { text: carrierLabel(c) }))));
      }
    }
    await Promise.all([loadTemplates(), loadLists(false), loadJoinable(), loadApps()]);
    if (templateId && state.templates.some((tpl) => tpl.id === templateId)) {
      $('c-template').value = templateId;
      onTemplate();
    }
  } catch (error) {
    setProblem($('compose-error'), error.message);
  }
  syncChannels();
  measureSoon();
  previewSoon();
}

/** The lists the author can see, newest first, from GET /api/v1/lists; the one uploaded last in this tab is ticked. */
async function loadLists(more) {
  const ticked = new Set(checkedValues('#c-lists input'));
  if (!more) state.lists = { after: '', items: [] };
  const page = await api('GET', `/api/v1/lists?limit=50${state.lists.after ? `&after=${encodeURIComponent(state.lists.after)}` : ''}`);
  state.lists.items.push(...page.items);
  state.lists.after = page.next ?? '';
  const uploaded = sessionStorage.getItem(LAST_LIST_STORAGE);
  const fresh = !more && ticked.size === 0;
  $('c-lists').replaceChildren(...state.lists.items.map((l) => el('label', { class: 'choice' },
    el('input', { type: 'checkbox', name: 'list', value: l.id, checked: ticked.has(l.id) || (fresh && l.id === uploaded) }),
    ' ', el('span', {
      text: tn('compose.listItem', l.accepted, { name: l.name, at: fmtTime(l.createdAt) })
        + (l.tenant === 'national' ? '' : ` · ${provinceName(l.tenant)}`),
    }))));
  show($('c-lists-none'), state.lists.items.length === 0);
  show($('c-lists-more'), Boolean(page.next));
}

/** Templates the author can read: their tenant's and the national library (GET /api/v1/templates). */
async function loadTemplates() {
  const page = await api('GET', '/api/v1/templates?limit=500');
  state.templates = page.items;
  const chosen = $('c-template').value;
  const none = $('c-template').options[0];
  $('c-template').replaceChildren(none, ...page.items.map((tpl) => el('option', {
    value: tpl.id, lang: 'vi', text: tpl.national ? t('compose.templateNational', { title: tpl.title }) : tpl.title,
  })));
  $('c-template').value = page.items.some((tpl) => tpl.id === chosen) ? chosen : '';
}

/** The push apps Loa is configured for (GET /api/v1/push/apps, names only), offered as choices: none ticked means every app. */
async function loadApps() {
  if (state.apps) return;
  state.apps = (await api('GET', '/api/v1/push/apps')).apps;
  $('c-apps').replaceChildren(...state.apps.map((app) => el('label', { class: 'choice' },
    el('input', { type: 'checkbox', name: 'app', value: app }), ' ', el('span', { text: app }))));
  show($('c-apps-none'), state.apps.length === 0);
}

/** A province's author picks the national campaign to join from those open to it (GET /api/v1/campaigns/joinable). */
async function loadJoinable() {
  if (state.me.tenant === 'national') return;
  const page = await api('GET', '/api/v1/campaigns/joinable?limit=500');
  state.joinable = page.items;
  const chosen = $('c-joins').value;
  const none = $('c-joins').options[0];
  $('c-joins').replaceChildren(none, ...page.items.map((c) => el('option', {
    value: c.id, lang: 'vi', text: t('compose.joinsItem', { name: c.name, kind: kindLabel(c.kind), status: statusLabel(c.status), at: fmtTime(c.createdAt) }),
  })));
  $('c-joins').value = page.items.some((c) => c.id === chosen) ? chosen : '';
}

/** Fills the form from the national campaign joined, as the server would fill what is left out; the author may change anything. */
function onJoins() {
  const c = state.joinable.find((x) => x.id === $('c-joins').value);
  if (c) {
    $('c-name').value = c.name;
    const kind = document.querySelector(`input[name="kind"][value="${c.kind}"]`);
    if (kind) kind.checked = true;
    $('c-channel-sms').checked = c.channels.includes('sms');
    $('c-channel-push').checked = c.channels.includes('push');
    $('c-text').value = c.message?.sms ?? '';
    $('c-push-title').value = c.message?.push?.title ?? '';
    $('c-push-body').value = c.message?.push?.body ?? '';
    syncChannels();
  }
  measureSoon();
  previewSoon();
}

/** Fills the form from the template; the author may change anything, and what they give is what is sent. */
function onTemplate() {
  const tpl = state.templates.find((x) => x.id === $('c-template').value);
  if (tpl) {
    $('c-name').value = tpl.title;
    const kind = document.querySelector(`input[name="kind"][value="${tpl.kind}"]`);
    if (kind) kind.checked = true;
    $('c-channel-sms').checked = Boolean(tpl.sms);
    $('c-channel-push').checked = Boolean(tpl.push);
    $('c-text').value = tpl.sms ?? '';
    $('c-push-title').value = tpl.push?.title ?? '';
    $('c-push-body').value = tpl.push?.body ?? '';
    syncChannels();
  }
  measureSoon();
  previewSoon();
}

function syncChannels() {
  show($('c-sms-card'), $('c-channel-sms').checked);
  show($('c-push-card'), $('c-channel-push').checked);
}

/** No kind is ticked until the author picks one: the kind decides who is woken at night, so it is never a default. */
const composeKind = () => document.querySelector('input[name="kind"]:checked')?.value;

function measureSoon() {
  clearTimeout(state.measureTimer);
  state.measureTimer = setTimeout(measure, MEASURE_AFTER_MS);
}

/** The counter is the server's own measure (POST /api/v1/sms/measure): the rules create applies, not a copy of them. */
async function measure() {
  const seq = ++state.measureSeq;
  const text = $('c-text').value;
  try {
    const m = await api('POST', '/api/v1/sms/measure', { text, kind: composeKind(), stripDiacritics: $('c-strip').checked, verifyCode: $('c-verify').checked });
    if (seq !== state.measureSeq) return;
    $('c-counter').textContent = t('compose.counter', {
      length: fmt(m.length), encoding: t(`encoding.${m.encoding}`), parts: fmt(m.parts),
      left: fmt(Math.max(0, m.parts * m.perPart - m.length)),
    });
    $('c-counter').classList.toggle('warn', m.parts > 3);
    $('c-sent').textContent = m.text;
  } catch (error) {
    if (seq === state.measureSeq) $('c-counter').textContent = error.message;
  }
}

/**
 * The campaign as the form says it, with only what the author gave: with a template or a national campaign
 * to join, the server fills in what is left out (docs/api.md, Templates); without, it names what is missing.
 */
function composed() {
  const channels = checkedValues('input[name="channel"]');
  const sms = channels.includes('sms');
  const push = channels.includes('push');
  const segment = (side) => {
    const filter = { tags: words(`c-${side}-tags`), communes: words(`c-${side}-communes`), carriers: checkedValues(`input[name="${side}-carrier"]`) };
    if (side === 'exc') filter.provinces = [...$('c-exc-provinces').selectedOptions].map((o) => o.value);
    return Object.values(filter).some((v) => v.length) ? filter : undefined;
  };
  const start = vietnamTime($('c-start').value);
  const expires = vietnamTime($('c-expires').value);
  const from = $('c-window-from').value;
  const to = $('c-window-to').value;
  const recurrence = $('c-recurrence').value.trim();
  const message = {
    sms: sms && $('c-text').value ? $('c-text').value : undefined,
    push: push && ($('c-push-title').value || $('c-push-body').value) ? { title: $('c-push-title').value, body: $('c-push-body').value } : undefined,
  };
  const apps = checkedValues('input[name="app"]');
  const languages = checkedValues('input[name="language"]');
  return {
    name: $('c-name').value.trim() || undefined,
    kind: composeKind(),
    channels: channels.length ? channels : undefined,
    message: message.sms !== undefined || message.push !== undefined ? message : undefined,
    audience: {
      lists: checkedValues('#c-lists input'),
      provinces: checkedValues('#c-provinces input'),
      carriers: [],
      include: segment('inc'),
      exclude: segment('exc'),
      devices: push || undefined,
      apps: push && apps.length ? apps : undefined,
      languages: push && languages.length ? languages : undefined,
    },
    schedule: start || expires || from || to || recurrence
      ? { startAt: start, expiresAt: expires, recurrence: recurrence || null, window: from || to ? { from, to } : null }
      : undefined,
    options: { stripDiacritics: $('c-strip').checked, verifyCode: $('c-verify').checked },
    fromTemplate: $('c-template').value || undefined,
    joins: state.me?.tenant !== 'national' && $('c-joins').value ? $('c-joins').value : undefined,
  };
}

function previewSoon() {
  clearTimeout(state.previewTimer);
  state.previewTimer = setTimeout(() => { previewDraft(); showKnownGroups(); }, PREVIEW_AFTER_MS);
}

/**
 * The tags and communes the ticked lists hold (GET /api/v1/lists/{id}: byTag, byCommune, counted at upload),
 * offered beside the segment fields so that an author picks groups the lists have instead of guessing.
 */
async function showKnownGroups() {
  const ids = checkedValues('#c-lists input');
  state.listGroups ??= {};
  try {
    for (const id of ids.filter((i) => !state.listGroups[i])) state.listGroups[id] = await api('GET', `/api/v1/lists/${encodeURIComponent(id)}`);
  } catch {
    return; // the preview says what is wrong with the lists; these are only suggestions
  }
  if (ids.join() !== checkedValues('#c-lists input').join()) return; // the ticks moved on meanwhile
  const sum = (key) => {
    const total = new Map();
    for (const id of ids) for (const [name, n] of Object.entries(state.listGroups[id][key] ?? {})) total.set(name, (total.get(name) ?? 0) + n);
    return [...total.entries()].sort(([a], [b]) => a.localeCompare(b));
  };
  const tags = sum('byTag');
  const communes = sum('byCommune');
  const line = (entries) => entries.map(([name, n]) => `${name} (${fmt(n)})`).join(' · ');
  for (const [list, entries] of [['c-known-tags', tags], ['c-known-communes', communes]]) {
    $(list).replaceChildren(...entries.map(([name]) => el('option', { value: name })));
  }
  const parts = [];
  if (tags.length) parts.push(t('compose.knownTags', { values: line(tags) }));
  if (communes.length) parts.push(t('compose.knownCommunes', { values: line(communes) }));
  $('c-known-groups').textContent = ids.length === 0 ? '' : parts.length ? parts.join(' ') : t('compose.knownNone');
}

/**
 * The live preview is the server's (POST /api/v1/campaigns/preview): create's own checks and the planner's
 * rules over the counts kept at upload, nothing stored. Figures are never worked out here.
 */
async function previewDraft() {
  const seq = ++state.previewSeq;
  const definition = composed();
  if (!definition.audience.lists.length && !definition.audience.devices && !definition.joins) {
    show($('c-preview-facts'), false);
    $('c-preview-reasons').textContent = '';
    $('c-preview-state').textContent = t('compose.previewNeeds');
    return;
  }
  $('c-preview-state').textContent = t('compose.previewLoading');
  try {
    const answer = await api('POST', '/api/v1/campaigns/preview', definition);
    if (seq !== state.previewSeq) return;
    const p = answer.preview;
    const numbers = smsRecipients(p);
    $('c-preview-recipients').textContent = fmt(p.recipients);
    $('c-preview-suppressed').textContent = fmt(p.suppressed);
    $('c-preview-sms').textContent = answer.channels.includes('sms') ? tn('campaign.smsReach', numbers) : '—';
    $('c-preview-push').textContent = answer.channels.includes('push') ? pushReach(p.push) : '—';
    $('c-preview-estimate').textContent = duration(p.estimatedSeconds);
    const reasons = Object.entries(p.suppressedByReason).filter(([, n]) => n > 0);
    $('c-preview-reasons').textContent = reasons.length
      ? `${t('campaign.suppressedByReason')}: ${reasons.map(([reason, n]) => `${reasonLabel(reason)} ${fmt(n)}`).join(' · ')}`
      : t('campaign.noneSuppressed');
    $('c-preview-state').textContent = p.exact ? t('compose.previewFromServer') : t('campaign.inexact');
    show($('c-preview-facts'), true);
  } catch (error) {
    if (seq !== state.previewSeq) return;
    show($('c-preview-facts'), false);
    $('c-preview-reasons').textContent = '';
    $('c-preview-state').textContent = t('compose.previewRefused', { problem: error.message });
  }
}

/**
 * What the push reaches, as the preview counts it: the devices, and for apps on topics the topic sends that
 * stand for their devices (one per province and language), so that an approver sees what will actually go out.
 */
const pushReach = (push) => {
  const devices = tn('campaign.pushReach', push?.devices ?? 0);
  // Apps on topics that this audience sends nothing to (no device in any of its topics) are left out.
  const apps = Object.entries(push?.topicsByApp ?? {}).filter(([, n]) => n > 0).map(([app]) => app);
  return apps.length ? `${devices} ${tn('campaign.pushTopics', push.topics, { apps: apps.join(', ') })}` : devices;
};

/** SMS recipients: the preview's carriers without the push apps (push-<app>), which count devices. */
const smsRecipients = (p) => Object.entries(p.byCarrier).filter(([carrier]) => !carrier.startsWith('push-')).reduce((sum, [, n]) => sum + n, 0);

/** Quartz days of the week: 1 is Sunday. */
const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const weekdayLabels = () => [t('weekday.sun'), t('weekday.mon'), t('weekday.tue'), t('weekday.wed'), t('weekday.thu'), t('weekday.fri'), t('weekday.sat')];

/** A day-of-week field as indexes from Sunday (0), or null when it holds anything this reader does not know. */
function weekdays(field) {
  const day = (v) => (/^[1-7]$/.test(v) ? Number(v) - 1 : WEEKDAY_NAMES.indexOf(v.toUpperCase()));
  const days = [];
  for (const part of field.split(',')) {
    const [a, b, extra] = part.split('-');
    if (extra !== undefined) return null;
    const from = day(a);
    const to = b === undefined ? from : day(b);
    if (from < 0 || to < 0 || to < from) return null;
    for (let d = from; d <= to; d++) if (!days.includes(d)) days.push(d);
  }
  return days.sort();
}

/**
 * A Quartz cron expression in the reader's words, for the common shapes only (daily, weekly on named days,
 * monthly on a day, the last day). Anything else is left undescribed rather than described wrongly: the
 * server checks the expression itself, and the expression is shown as written.
 */
function describeCron(expression) {
  const f = expression.trim().split(/\s+/);
  if (f.length < 6 || f.length > 7 || (f[6] !== undefined && f[6] !== '*')) return null;
  const [sec, min, hour, dom, month, dow] = f;
  if (![sec, min, hour].every((v) => /^\d{1,2}$/.test(v)) || Number(sec) > 59 || Number(min) > 59 || Number(hour) > 23 || month !== '*') return null;
  const two = (v) => String(Number(v)).padStart(2, '0');
  const time = `${two(hour)}:${two(min)}${Number(sec) ? `:${two(sec)}` : ''}`;
  if ((dom === '*' && dow === '?') || (dom === '?' && dow === '*')) return t('recurrence.daily', { time });
  if (/^\d{1,2}$/.test(dom) && Number(dom) >= 1 && Number(dom) <= 31 && dow === '?') return t('recurrence.monthly', { day: Number(dom), time });
  if (dom === 'L' && dow === '?') return t('recurrence.monthlyLast', { time });
  if (dom === '?' && dow !== '*' && weekdays(dow)) {
    const labels = weekdayLabels();
    return t('recurrence.weekly', { days: weekdays(dow).map((d) => labels[d]).join(', '), time });
  }
  return null;
}

function recurrenceWords(expression) {
  if (!expression) return '';
  const words = describeCron(expression);
  return words ? t('recurrence.words', { words }) : t('recurrence.unknown');
}

/** A datetime-local value read as Vietnam time (UTC+7 all year, no daylight saving). */
const vietnamTime = (value) => (value ? `${value.length === 16 ? `${value}:00` : value}+07:00` : null);

async function onCompose(event) {
  event.preventDefault();
  setProblem($('compose-error'), '');
  $('compose-submit').disabled = true;
  try {
    const created = await api('POST', '/api/v1/campaigns', composed());
    await api('POST', `/api/v1/campaigns/${created.id}/submit`);
    location.hash = `#/campaigns/${created.id}`;
  } catch (error) {
    setProblem($('compose-error'), error.message);
  } finally {
    $('compose-submit').disabled = false;
  }
}

// ---- one campaign: review, approve, reject, cancel, progress ----

async function openCampaign(id) {
  showView('campaign-view');
  show($('two-person'), false);
  setProblem($('action-error'), '');
  const generation = state.generation;
  try {
    await provinces();
    const c = await api('GET', `/api/v1/campaigns/${id}`);
    if (generation !== state.generation) return;
    state.campaign = c;
    // A campaign's page opens on the re-send's default channel, whatever was chosen on the last one.
    document.querySelector('input[name="resend-channel"][value="sms"]').checked = true;
    renderCampaign(c);
    if (c.startedAt || c.status === 'running') pollProgress(id, generation);
  } catch (error) {
    setProblem($('notice'), error.message);
  }
}

/**
 * Who wrote or approved a campaign, by the name officials know (a key's name, a token's subject, a CAP sender),
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
  const label = el('span', { class: name ? 'principal-name' : 'principal-name unknown', text: name || t('campaign.nameUnknown') });
  // A row written before principals had ids holds the name itself: nothing to add under it.
  node.replaceChildren(...(name === id ? [label] : [label, el('span', { class: 'principal-id', text: id })]));
}

function renderCampaign(c) {
  const test = c.kind === 'test';
  show($('cv-test-banner'), test);
  show($('cv-real-banner'), !test);
  $('cv-real-banner').classList.toggle('urgent', c.kind === 'emergency' || c.kind === 'warning');
  $('cv-kind').textContent = kindLabel(c.kind);
  $('cv-kind').className = `kind k-${c.kind}`;
  $('cv-kind-plain').textContent = t(`kind.${c.kind}.long`);
  $('cv-status').textContent = statusLabel(c.status);
  $('cv-status').className = `status s-${c.status}`;
  $('cv-name').textContent = c.name;
  showPrincipal($('cv-created-by'), c.createdBy, c.createdByName);
  $('cv-created-at').textContent = fmtTime(c.createdAt);
  showPrincipal($('cv-approved-by'), c.approvedBy, c.approvedByName);
  $('cv-start').textContent = c.schedule?.startAt ? fmtTime(c.schedule.startAt) : t('campaign.startAtOnce');
  $('cv-expires').textContent = c.schedule?.expiresAt ? fmtTime(c.schedule.expiresAt) : '—';
  $('cv-rejected').textContent = c.rejectedReason ?? '';
  show($('cv-rejected-row'), Boolean(c.rejectedReason));
  const channels = c.channels ?? [];
  const sms = channels.includes('sms');
  const push = channels.includes('push');
  const schedule = c.schedule ?? {};
  $('cv-window').textContent = schedule.window ? `${schedule.window.from}–${schedule.window.to}` : '';
  show($('cv-window-row'), Boolean(schedule.window));
  $('cv-recurrence').textContent = schedule.recurrence ? `${schedule.recurrence} · ${recurrenceWords(schedule.recurrence)}` : '';
  show($('cv-recurrence-row'), Boolean(schedule.recurrence));
  $('cv-segment').textContent = describeSegment(c.audience);
  show($('cv-segment-row'), Boolean($('cv-segment').textContent));
  linkTo($('cv-resend-of'), $('cv-resend-of-row'), c.resendOf);
  linkTo($('cv-corrects'), $('cv-corrects-row'), c.corrects);
  $('cv-resends').replaceChildren(...(c.resends ?? []).flatMap((id, i) => [i ? ', ' : null, el('a', { href: `#/campaigns/${id}`, text: id.slice(0, 8) })]).filter(Boolean));
  show($('cv-resends-row'), Boolean(c.resends?.length));

  show($('cv-sms-card'), sms);
  $('cv-sms').textContent = c.sms?.text ?? '';
  $('cv-sms-cost').textContent = c.sms ? t('campaign.smsCost', { length: fmt(c.sms.length), encoding: t(`encoding.${c.sms.encoding}`), parts: fmt(c.sms.parts) }) : '';
  show($('cv-push-card'), push);
  $('cv-push-heading').textContent = c.message?.push?.title ?? '';
  // The body as pushed: with the verification suffix the push lane appends (pushSuffix), as the SMS shows its own.
  $('cv-push-body').textContent = (c.message?.push?.body ?? '') + (c.pushSuffix ?? '');
  show($('cv-push-test'), push && c.kind === 'test');
  const apps = c.audience?.apps ?? [];
  const languages = c.audience?.languages ?? [];
  $('cv-push-filters').textContent = t('campaign.pushFilters', {
    apps: apps.length ? apps.join(', ') : t('campaign.allApps'),
    languages: languages.length ? languages.map((l) => (l === 'vi' ? t('compose.languageVi') : t('compose.languageEn'))).join(', ') : t('campaign.allLanguages'),
  });

  const p = c.preview;
  show($('cv-audience'), Boolean(p));
  if (p) {
    $('cv-recipients').textContent = fmt(p.recipients);
    $('cv-suppressed').textContent = fmt(p.suppressed);
    $('cv-estimate').textContent = duration(p.estimatedSeconds);
    $('cv-sms-reach').textContent = tn('campaign.smsReach', smsRecipients(p));
    $('cv-push-reach').textContent = pushReach(p.push);
    const countRows = (entries, none) => (entries.length
      ? entries.map(([name, n]) => el('tr', {}, el('th', { scope: 'row', lang: 'vi', text: name }), el('td', { class: 'num', text: fmt(n) })))
      : [el('tr', {}, el('td', { colspan: '2', class: 'muted', text: none }))]);
    $('cv-push-apps').replaceChildren(...countRows(Object.entries(p.push?.byApp ?? {}).filter(([, n]) => n > 0), t('campaign.noDevices')));
    $('cv-push-provinces').replaceChildren(...countRows(byCode(p.push?.byProvince)
      .map(([code, n]) => [code === 'unknown' || !code ? t('campaign.unknownProvince') : provinceName(code), n]), t('campaign.noDevices')));
    show($('cv-sms-tables'), sms);
    const named = c.audience?.provinces ?? [];
    $('cv-provinces').textContent = named.length ? named.map(provinceName).join(', ') : (c.tenant === 'national' ? t('campaign.allProvinces') : provinceName(c.tenant));
    // The SMS carriers only: push-<app> rows count devices and have no SMS parts; they are in the push section.
    $('cv-carriers').replaceChildren(...Object.entries(p.byCarrier).filter(([carrier]) => !carrier.startsWith('push-')).map(([carrier, n]) => el('tr', {},
      el('th', { scope: 'row', text: carrierLabel(carrier) }), el('td', { class: 'num', text: fmt(n) }),
      el('td', { class: 'num', text: fmt(p.smsPartsByCarrier?.[carrier] ?? p.smsParts) }))));
    const reasons = Object.entries(p.suppressedByReason);
    $('cv-suppressed-rows').replaceChildren(...(reasons.length
      ? reasons.map(([reason, n]) => el('tr', {}, el('th', { scope: 'row', text: reasonLabel(reason) }), el('td', { class: 'num', text: fmt(n) })))
      : [el('tr', {}, el('td', { colspan: '2', class: 'muted', text: t('campaign.noneSuppressed') }))]));
    show($('cv-inexact'), !p.exact);
    renderProvinces(c.id, state.generation);
  }
  renderActions(c);
}

function linkTo(anchor, row, id) {
  anchor.textContent = id ?? '';
  if (id) anchor.setAttribute('href', `#/campaigns/${id}`);
  show(row, Boolean(id));
}

/**
 * A map keyed by province code, in code order: an object lists integer-like keys ("38") before the others
 * ("01"), so its own order would put Thanh Hóa before Hà Nội.
 */
const byCode = (map) => Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** audience.include / audience.exclude in the reader's words: what was filtered, by what values. */
function describeSegment(audience) {
  const part = (filter, included) => {
    if (!filter) return [];
    const out = [];
    if (filter.tags?.length) out.push(t('segment.tags', { values: filter.tags.join(', ') }));
    const provinces = filter.provinces?.length ? t('segment.provinces', { values: filter.provinces.map(provinceName).join(', ') }) : '';
    const communes = filter.communes?.length ? t('segment.communes', { values: filter.communes.join(', ') }) : '';
    // Included places are one area (either place), which "; " between them would read as both.
    if (included && provinces && communes) out.push(t('segment.either', { one: provinces, other: communes }));
    else out.push(...[provinces, communes].filter(Boolean));
    if (filter.carriers?.length) out.push(t('segment.carriers', { values: filter.carriers.map(carrierLabel).join(', ') }));
    return out;
  };
  const include = part(audience?.include, true);
  const exclude = part(audience?.exclude, false);
  return [
    include.length ? t('segment.include', { what: include.join('; ') }) : '',
    exclude.length ? t('segment.exclude', { what: exclude.join('; ') }) : '',
  ].filter(Boolean).join(' · ');
}

async function renderProvinces(id, generation) {
  try {
    const view = await api('GET', `/api/v1/campaigns/${id}/provinces`);
    if (generation !== state.generation) return;
    const rows = byCode(view.byProvince);
    $('cv-province-rows').replaceChildren(...(rows.length
      ? rows.map(([code, n]) => el('tr', {}, el('th', { scope: 'row', lang: 'vi', text: code === 'unknown' ? t('campaign.unknownProvince') : (view.names[code] ?? code) }),
        el('td', { class: 'num', text: fmt(n) })))
      : [el('tr', {}, el('td', { colspan: '2', class: 'muted', text: t('campaign.noRecipients') }))]));
    show($('cv-province-upper'), !view.exact);
  } catch (error) {
    setProblem($('notice'), error.message);
  }
}

function renderActions(c) {
  const canSubmit = has('author') && c.status === 'draft';
  const canApprove = has('approver') && c.status === 'pending_approval';
  const canCancel = (has('operator') || has('approver')) && CANCELLABLE.has(c.status);
  // A correction needs something already sent (the API answers 409 for a draft or a pending one) and one at a time.
  const canCorrect = has('author') && !['draft', 'pending_approval'].includes(c.status) && !c.supersededBy && !c.correctedBy;
  show($('correct-form'), canCorrect);
  // A re-send texts the numbers a finished campaign did not reach, and those linked to devices its push did not;
  // a campaign that pushed without an SMS text asks for one (the API refuses a text of its own otherwise).
  const canResend = has('author') && RESENDABLE.has(c.status) && !c.seriesId;
  show($('resend-form'), canResend);
  showResendChannel();
  const canPause = has('operator') && c.status === 'running';
  const canResume = has('operator') && c.status === 'paused';
  show($('act-pause'), canPause);
  show($('act-resume'), canResume);
  show($('act-submit'), canSubmit);
  show($('act-approve'), canApprove);
  show($('reject-form'), canApprove);
  show($('act-cancel'), canCancel);
  show($('cv-no-actions'), !canSubmit && !canApprove && !canCancel && !canPause && !canResume && !canCorrect && !canResend);
}

function pollProgress(id, generation) {
  const tick = async () => {
    if (generation !== state.generation) return;
    try {
      const p = await api('GET', `/api/v1/campaigns/${id}/progress`);
      if (generation !== state.generation) return;
      const ended = p.delivered + p.failed + p.expired + p.cancelled + p.suppressed;
      show($('cv-progress-card'), true);
      $('cv-progress').value = p.total ? Math.round((100 * ended) / p.total) : 0;
      $('cv-progress-text').textContent = t('campaign.progress', {
        delivered: fmt(p.delivered), failed: fmt(p.failed), pending: fmt(p.queued + p.submitted), total: fmt(p.total), suppressed: fmt(p.suppressed),
      });
      if (state.campaign && p.status !== state.campaign.status) {
        state.campaign.status = p.status;
        $('cv-status').textContent = statusLabel(p.status);
        $('cv-status').className = `status s-${p.status}`;
        renderActions(state.campaign);
      }
      if (FINAL.has(p.status)) return;
    } catch (error) {
      setProblem($('notice'), error.message);
    }
    state.timer = setTimeout(tick, PROGRESS_EVERY_MS);
  };
  tick();
}

function confirmAction(title, text, yes, danger) {
  return new Promise((resolve) => {
    const dialog = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-yes').textContent = yes;
    $('confirm-yes').className = danger ? 'danger' : '';
    const done = (answer) => { dialog.close(); $('confirm-yes').onclick = null; $('confirm-no').onclick = null; resolve(answer); };
    $('confirm-yes').onclick = () => done(true);
    $('confirm-no').onclick = () => done(false);
    dialog.oncancel = () => resolve(false);
    dialog.showModal();
  });
}

async function act(action, body) {
  const c = state.campaign;
  setProblem($('action-error'), '');
  show($('two-person'), false);
  try {
    await api('POST', `/api/v1/campaigns/${c.id}/${action}`, body);
    await openCampaign(c.id);
  } catch (error) {
    if (error.status === 403 && error.problem?.type?.endsWith('/two-person-rule')) show($('two-person'), true);
    else setProblem($('action-error'), error.message);
  }
}

async function onApprove() {
  const c = state.campaign;
  const recipients = fmt(c.preview?.recipients ?? 0);
  let text = c.kind === 'test' ? t('confirm.approveTest', { n: recipients }) : t('confirm.approveReal', { n: recipients, kind: kindLabel(c.kind) });
  if ((c.channels ?? []).includes('push')) text += ` ${t('confirm.approveChannels', { sms: fmt(smsRecipients(c.preview ?? { byCarrier: {} })), devices: fmt(c.preview?.push?.devices ?? 0) })}`;
  if (c.preview && !c.preview.exact) text += ` ${t('confirm.upperBound')}`;
  if (await confirmAction(t('confirm.approveTitle'), text, t('action.approve'), c.kind !== 'test')) await act('approve');
}

async function onCancel() {
  if (await confirmAction(t('confirm.cancelTitle'), t('confirm.cancelText', { name: state.campaign.name }), t('action.cancel'), true)) await act('cancel');
}

async function onReject(event) {
  event.preventDefault();
  const reason = $('reject-reason').value.trim();
  if (!reason) return;
  await act('reject', { reason });
  $('reject-reason').value = '';
}

async function onCorrect(event) {
  event.preventDefault();
  const text = $('correct-text').value;
  if (!text.trim()) return;
  setProblem($('action-error'), '');
  try {
    const correction = await api('POST', `/api/v1/campaigns/${state.campaign.id}/correction`, { message: { sms: text } });
    await api('POST', `/api/v1/campaigns/${correction.id}/submit`);
    $('correct-text').value = '';
    location.hash = `#/campaigns/${correction.id}`;
  } catch (error) {
    setProblem($('action-error'), error.message);
  }
}

/**
 * By SMS: the numbers not reached, and those linked to devices the push did not reach; through push: the devices
 * linked to the numbers the SMS did not reach. Each asks for the text of its channel when the campaign had none.
 */
function showResendChannel() {
  const c = state.campaign;
  const push = checkedValues('input[name="resend-channel"]')[0] === 'push';
  const needsSms = !push && !c?.message?.sms;
  const needsPush = push && !c?.message?.push?.title;
  show($('resend-sms-field'), needsSms);
  $('resend-sms').required = needsSms;
  show($('resend-push-fields'), needsPush);
  $('resend-push-title').required = needsPush;
  $('resend-push-body').required = needsPush;
  show($('resend-push'), !push && (c?.channels ?? []).includes('push'));
  show($('resend-devices'), push);
}

async function onResend(event) {
  event.preventDefault();
  setProblem($('action-error'), '');
  const statuses = checkedValues('input[name="resend-status"]');
  if (!statuses.length) { setProblem($('action-error'), t('resend.none')); return; }
  try {
    const channel = checkedValues('input[name="resend-channel"]')[0] ?? 'sms';
    const body = { statuses, channel };
    if (channel === 'sms' && !state.campaign.message?.sms) body.sms = $('resend-sms').value;
    if (channel === 'push' && !state.campaign.message?.push?.title) body.push = { title: $('resend-push-title').value, body: $('resend-push-body').value };
    const draft = await api('POST', `/api/v1/campaigns/${state.campaign.id}/resend`, body);
    await api('POST', `/api/v1/campaigns/${draft.id}/submit`);
    location.hash = `#/campaigns/${draft.id}`;
  } catch (error) {
    setProblem($('action-error'), error.message);
  }
}

// ---- keys ----

async function openKeys() {
  showView('keys-view');
  show($('key-secret'), false);
  setProblem($('keys-error'), '');
  const generation = state.generation;
  try {
    const page = await api('GET', '/api/v1/keys?limit=500');
    if (generation !== state.generation) return;
    $('key-rows').replaceChildren(...page.items.map((k) => el('tr', {},
      el('td', { text: k.name }), el('td', { text: k.tenantName ?? (k.tenant === 'national' ? t('keys.national') : k.tenant) }),
      el('td', { text: k.roles.map((r) => (r.startsWith('carrier:') ? r : t(`role.${r}`))).join(', ') }),
      el('td', { text: fmtTime(k.createdAt) }),
      el('td', { text: k.revokedAt ? t('keys.revokedAt', { at: fmtTime(k.revokedAt) }) : t('keys.active') }),
      el('td', {}, k.revokedAt ? null : revokeButton(k)))));
  } catch (error) {
    setProblem($('keys-error'), error.message);
  }
}

function revokeButton(k) {
  const button = el('button', { type: 'button', class: 'quiet small', 'aria-label': t('keys.revokeNamed', { name: k.name }), text: t('keys.revoke') });
  button.addEventListener('click', async () => {
    if (!(await confirmAction(t('keys.revokeTitle'), t('keys.revokeText', { name: k.name }), t('keys.revoke'), true))) return;
    try {
      await api('DELETE', `/api/v1/keys/${k.id}`);
      await openKeys();
    } catch (error) {
      setProblem($('keys-error'), error.message);
    }
  });
  return button;
}

async function onCreateKey(event) {
  event.preventDefault();
  setProblem($('keys-error'), '');
  const roles = [...document.querySelectorAll('#key-form input[name="role"]:checked')].map((i) => i.value);
  try {
    const created = await api('POST', '/api/v1/keys', { name: $('key-name').value.trim(), tenant: $('key-tenant').value.trim(), roles });
    await openKeys();
    // Shown once, here; the server never shows it again.
    $('key-secret-value').textContent = created.key;
    show($('key-secret'), true);
    $('key-form').reset();
  } catch (error) {
    setProblem($('keys-error'), error.message);
  }
}

// ---- audit ----

async function openAudit(more = false) {
  showView('audit-view');
  const generation = state.generation;
  if (!more) { state.audit.after = ''; $('audit-rows').replaceChildren(); $('audit-verified').textContent = ''; }
  try {
    const page = await api('GET', `/api/v1/audit?limit=200${state.audit.after ? `&after=${encodeURIComponent(state.audit.after)}` : ''}`);
    if (generation !== state.generation) return;
    for (const row of page.items) {
      $('audit-rows').append(el('tr', {},
        el('td', { text: fmtTime(row.at) }), el('td', { text: row.details?.name ?? row.who }),
        el('td', {}, el('code', { text: row.action })), el('td', { text: row.target ?? '' }), el('td', { class: 'num', text: row.outcome })));
    }
    state.audit.after = page.next ?? '';
    show($('audit-more'), Boolean(page.next));
  } catch (error) {
    setProblem($('notice'), error.message);
  }
}

async function onVerify() {
  try {
    const check = await api('GET', '/api/v1/audit/verify');
    $('audit-verified').textContent = check.ok ? t('audit.ok', { rows: fmt(check.rows) }) : t('audit.broken', { at: check.brokenAt, reason: check.reason });
  } catch (error) {
    setProblem($('notice'), error.message);
  }
}

// ---- the commune table ----

/** A page of the table: a whole province in one (the largest has under 200 communes), the whole table a page at a time. */
const COMMUNE_PAGE = 200;

/** The file's columns, named in the reader's language where a refusal names them. */
const COMMUNE_COLUMNS = { code: 'communes.col.code', name: 'communes.col.name', province: 'communes.col.province' };

/** One table for every tenant: only a national admin loads or clears it (the API answers 403 tenant otherwise). */
const communesWritable = () => state.me.tenant === 'national';

async function openCommunes() {
  showView('communes-view');
  setProblem($('communes-error'), '');
  show($('communes-errors-card'), false);
  show($('communes-result'), false);
  show($('communes-form'), communesWritable());
  show($('communes-national-only'), !communesWritable());
  await refreshCommunes();
}

/** What the table is now: its size, the lists it contradicts, its first page. */
async function refreshCommunes() {
  const generation = state.generation;
  try {
    const all = await provinces();
    if ($('communes-province').children.length === 1) {
      $('communes-province').append(...all.map((p) => el('option', { value: p.code, lang: 'vi', text: p.name })));
    }
    const review = await api('GET', '/api/v1/geography/communes/review');
    if (generation !== state.generation) return;
    renderCommuneReview(review);
    await loadCommunes(false);
  } catch (error) {
    setProblem($('communes-error'), error.message);
  }
}

/** The lists the loaded table contradicts, for their owners to upload again. */
function renderCommuneReview(review) {
  let summary = t('communes.reviewNoTable');
  if (review.loaded) summary = review.lists ? t('communes.reviewSummary', { lists: fmt(review.lists), members: fmt(review.members) }) : t('communes.reviewNone');
  if (review.items.length < review.lists) summary += ` ${t('communes.reviewFirst', { shown: fmt(review.items.length) })}`;
  $('communes-review-summary').textContent = summary;
  $('communes-review-rows').replaceChildren(...review.items.map((l) => el('tr', {},
    el('th', { scope: 'row', lang: 'vi', text: l.name }),
    el('td', {}, el('code', { text: l.listId })),
    l.tenant === 'national' ? el('td', { text: t('keys.national') }) : el('td', { lang: 'vi', text: provinceName(l.tenant) }),
    el('td', { class: 'num', text: fmt(l.unknownCommune) }),
    el('td', { class: 'num', text: fmt(l.otherProvince) }))));
  show($('communes-review-table'), review.items.length > 0);
}

/** The table by code, the chosen province's or all; a later choice drops the answer to an earlier one. */
async function loadCommunes(more) {
  const generation = state.generation;
  const turn = more ? state.communes.turn : ++state.communes.turn;
  const province = $('communes-province').value;
  const query = new URLSearchParams({ limit: String(COMMUNE_PAGE) });
  if (province) query.set('province', province);
  if (more && state.communes.after) query.set('after', state.communes.after);
  const page = await api('GET', `/api/v1/geography/communes?${query}`);
  if (generation !== state.generation || turn !== state.communes.turn) return;
  const rows = page.items.map((c) => el('tr', {},
    el('th', { scope: 'row' }, el('code', { text: c.code })),
    el('td', { lang: 'vi', text: c.name }),
    el('td', { lang: 'vi', text: provinceName(c.province) })));
  if (more) $('commune-rows').append(...rows);
  else $('commune-rows').replaceChildren(...rows);
  state.communes.after = page.next ?? '';
  // The whole table's size, whatever the filter: what a clear confirms it removes.
  state.communes.size = page.loaded;
  $('communes-state').textContent = page.loaded ? tn('communes.loaded', page.loaded) : t('communes.notLoaded');
  show($('communes-clear'), page.loaded > 0 && communesWritable());
  const shown = $('commune-rows').children.length;
  const name = provinceName(province);
  let count;
  if (shown === 0) count = province ? t('communes.noneInProvince', { province: name }) : t('communes.empty');
  else if (page.next) count = province ? tn('communes.countFirst', shown) : t('communes.countShown', { n: fmt(shown), total: fmt(page.loaded) });
  else count = province ? tn('communes.countProvince', shown, { province: name }) : tn('communes.countAll', shown);
  $('communes-count').textContent = count;
  show($('communes-table'), shown > 0);
  show($('communes-more'), Boolean(page.next));
}

async function onLoadCommunes(event) {
  event.preventDefault();
  const file = $('communes-file').files[0];
  if (!file) return;
  setProblem($('communes-error'), '');
  show($('communes-errors-card'), false);
  show($('communes-result'), false);
  $('communes-load').disabled = true;
  try {
    const result = await api('PUT', '/api/v1/geography/communes', file, 'text/csv');
    $('communes-form').reset();
    $('communes-accepted').textContent = fmt(result.accepted);
    // By code, as the API lists them: an object's keys come back with "38" before "01" (integer-like keys first).
    const byProvince = Object.entries(result.byProvince).sort(([a], [b]) => a.localeCompare(b));
    $('communes-by-province').replaceChildren(...byProvince.map(([code, n]) => el('tr', {},
      el('th', { scope: 'row', lang: 'vi', text: provinceName(code) }), el('td', { class: 'num', text: fmt(n) }))));
    show($('communes-result'), true);
    renderCommuneReview(result.review);
    await loadCommunes(false);
  } catch (error) {
    showCommuneRefusal(error);
  } finally {
    $('communes-load').disabled = false;
  }
}

/**
 * A refused file loads nothing: its bad cells are listed by line (the header is line 1, so a missing column is
 * the header's), as the list upload lists its rejected rows. Any other refusal is shown as every other screen shows it.
 */
function showCommuneRefusal(error) {
  const errors = error.status === 400 ? error.problem?.errors : null;
  if (!errors) { setProblem($('communes-error'), error.message); return; }
  setProblem($('communes-error'), `${t('problem.type.validation')} (400): ${t('communes.nothingLoaded')}`);
  const rows = Object.entries(errors).map(([field, messages]) => {
    const cell = field.match(/^line (\d+)\.(\w+)$/);
    if (cell) return { line: Number(cell[1]), column: cell[2], messages };
    return { line: Object.hasOwn(COMMUNE_COLUMNS, field) ? 1 : null, column: field, messages };
  });
  rows.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
  $('communes-errors').replaceChildren(...rows.map((r) => el('tr', {},
    el('td', { class: 'num', text: r.line === null ? '—' : fmt(r.line) }),
    el('td', { text: Object.hasOwn(COMMUNE_COLUMNS, r.column) ? t(COMMUNE_COLUMNS[r.column]) : '—' }),
    el('td', { text: r.messages.map(fieldMessage).join(' ') }))));
  show($('communes-errors-card'), true);
}

/**
 * Clears the table the reader saw: the API removes nothing unless the table still holds that many rows, so one
 * loaded meanwhile by someone else (409) is shown as it is now, for the reader to confirm again.
 */
async function onClearCommunes() {
  const size = state.communes.size;
  if (!(await confirmAction(t('communes.clearTitle'), tn('communes.clearText', size), t('communes.clear'), true))) return;
  setProblem($('communes-error'), '');
  try {
    await api('DELETE', `/api/v1/geography/communes?confirm=${encodeURIComponent(size)}`);
    await openCommunes();
  } catch (error) {
    setProblem($('communes-error'), error.message);
    if (error.status !== 409) return;
    show($('communes-result'), false);
    await refreshCommunes();
  }
}

// ---- wiring ----

document.addEventListener('DOMContentLoaded', async () => {
  // Wired before the first strings arrive: a language chosen while they load is not lost, nor undone by them.
  $('lang').addEventListener('change', async () => { if (await loadLanguage($('lang').value)) { renderWho(); route(); } });
  const saved = localStorage.getItem(LANG_STORAGE);
  const applied = new Promise((resolve) => { state.languageApplied = resolve; });
  const first = loadLanguage(LANGUAGES.includes(saved) ? saved : LANGUAGES[0]);
  // On as soon as some language is applied: the first, or the one chosen while it loaded (a failed first load still fails here).
  await Promise.race([applied, first.then((ok) => ok || applied)]);
  $('signin-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    if (await signIn($('key-input').value.trim())) { $('key-input').value = ''; route(); }
  });
  $('sign-out').addEventListener('click', () => signOut(''));
  $('status-filter').addEventListener('change', () => openList());
  $('list-more').addEventListener('click', () => openList(true));
  $('upload-form').addEventListener('submit', onUpload);
  $('tpl-new').addEventListener('click', () => editTemplate(null));
  $('tpl-cancel').addEventListener('click', () => { show($('tpl-form'), false); $('tpl-new').focus(); });
  $('tpl-form').addEventListener('submit', onSaveTemplate);
  $('templates-more').addEventListener('click', () => openTemplates(true));
  $('compose-form').addEventListener('submit', onCompose);
  $('c-text').addEventListener('input', measureSoon);
  $('c-strip').addEventListener('change', measureSoon);
  $('c-verify').addEventListener('change', measureSoon);
  for (const radio of document.querySelectorAll('input[name="kind"]')) radio.addEventListener('change', measureSoon);
  $('c-lists-more').addEventListener('click', () => loadLists(true).catch((error) => setProblem($('compose-error'), error.message)));
  $('c-template').addEventListener('change', onTemplate);
  $('c-joins').addEventListener('change', onJoins);
  for (const box of document.querySelectorAll('input[name="channel"]')) box.addEventListener('change', syncChannels);
  // Every change to the form asks the server for its figures again (debounced): the preview is never stale.
  $('compose-form').addEventListener('input', previewSoon);
  $('compose-form').addEventListener('change', previewSoon);
  $('c-recurrence').addEventListener('input', () => { $('c-recurrence-words').textContent = recurrenceWords($('c-recurrence').value.trim()); });
  $('resend-form').addEventListener('submit', onResend);
  document.querySelectorAll('input[name="resend-channel"]').forEach((radio) => radio.addEventListener('change', showResendChannel));
  $('act-submit').addEventListener('click', () => act('submit'));
  $('act-approve').addEventListener('click', onApprove);
  $('act-cancel').addEventListener('click', onCancel);
  $('act-pause').addEventListener('click', () => act('pause'));
  $('act-resume').addEventListener('click', () => act('resume'));
  $('reject-form').addEventListener('submit', onReject);
  $('correct-form').addEventListener('submit', onCorrect);
  $('key-form').addEventListener('submit', onCreateKey);
  $('audit-verify').addEventListener('click', onVerify);
  $('audit-more').addEventListener('click', () => openAudit(true));
  $('communes-form').addEventListener('submit', onLoadCommunes);
  $('communes-clear').addEventListener('click', onClearCommunes);
  $('communes-province').addEventListener('change', () => loadCommunes(false).catch((error) => setProblem($('communes-error'), error.message)));
  $('communes-more').addEventListener('click', () => loadCommunes(true).catch((error) => setProblem($('communes-error'), error.message)));
  window.addEventListener('hashchange', route);
  route();
});
