/**
 * The dealer portal's browser script (a plain ES module, served as-is): passkey login, a vehicle's
 * keys, revoking a lost phone (R6) or every key, each with a reason and a confirm step, and the
 * audit trail (R13). The session token lives in this module's memory only, never in storage, and
 * data reaches the page through textContent only.
 */

/** DESIGN.md §2: the same VIN pattern the server validates with. */
const VIN_PATTERN = /^[A-HJ-NPR-Z0-9]{17}$/;
const AUDIT_LIMIT = 100;

/** @type {{ token: string, accountId: string } | null} */
let session = null;
/** The vehicle on screen and its keys. @type {{ vin: string, keys: Array<Record<string, unknown>> } | null} */
let shown = null;
/** The revocation waiting for its confirm step. @type {{ scope: 'passkey', passkeyId: string } | { scope: 'all' } | null} */
let pending = null;

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

// --- base64url <-> ArrayBuffer (WebAuthn JSON carries every binary field as url-safe base64) -----

function base64UrlToBuffer(value) {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((value.length + 3) % 4);
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

function bufferToBase64Url(buffer) {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** PublicKeyCredentialRequestOptionsJSON → the options navigator.credentials.get takes. */
function requestOptionsFromJson(json) {
  return {
    ...json,
    challenge: base64UrlToBuffer(json.challenge),
    allowCredentials: (json.allowCredentials ?? []).map((c) => ({ ...c, id: base64UrlToBuffer(c.id) })),
  };
}

/** A PublicKeyCredential from navigator.credentials.get → AuthenticationResponseJSON. */
function assertionToJson(credential) {
  const r = credential.response;
  return {
    id: credential.id,
    rawId: bufferToBase64Url(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: bufferToBase64Url(r.clientDataJSON),
      authenticatorData: bufferToBase64Url(r.authenticatorData),
      signature: bufferToBase64Url(r.signature),
      ...(r.userHandle ? { userHandle: bufferToBase64Url(r.userHandle) } : {}),
    },
    clientExtensionResults: credential.getClientExtensionResults(),
    ...(credential.authenticatorAttachment ? { authenticatorAttachment: credential.authenticatorAttachment } : {}),
  };
}

// --- the API --------------------------------------------------------------------------------------

class PortalError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
    /** The API's machine-readable detail (e.g. `{stepUp: "required"}`), or null. */
    this.detail = null;
  }
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (session) headers.authorization = `Bearer ${session.token}`;
  let res;
  try {
    res = await fetch(path, { method, headers, credentials: 'omit', cache: 'no-store', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new PortalError('NETWORK_ERROR', 'The server could not be reached');
  }
  let json = null;
  try {
    json = await res.json();
  } catch {
    // not JSON: handled below
  }
  if (!res.ok) {
    const error = json && typeof json === 'object' ? json.error : null;
    const failure = new PortalError(error?.code ?? `HTTP_${res.status}`, error?.message ?? res.statusText, res.status);
    failure.detail = error?.detail ?? null;
    throw failure;
  }
  return json;
}

// --- what the page shows --------------------------------------------------------------------------

function showError(err) {
  $('notice').hidden = true;
  $('error-code').textContent = err?.code ?? err?.name ?? 'ERROR';
  $('error-message').textContent = err?.message ?? String(err);
  $('error').hidden = false;
}

function showNotice(text) {
  $('error').hidden = true;
  $('notice').textContent = text;
  $('notice').hidden = false;
}

function clearMessages() {
  $('error').hidden = true;
  $('notice').hidden = true;
}

const pad = (n) => String(n).padStart(2, '0');
/** A UTC time, minutes precision, the same on every dealer's screen. */
function formatTime(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

/** The first characters of a long id, the whole id on hover. */
function shortId(id) {
  const code = document.createElement('code');
  code.textContent = id.length > 12 ? `${id.slice(0, 8)}…` : id;
  code.title = id;
  return code;
}

function cell(row, content) {
  const td = document.createElement('td');
  if (content instanceof Node) td.append(content);
  else td.textContent = content;
  row.append(td);
  return td;
}

/** A key's validity window (notBefore/notAfter are epoch seconds). */
function keyWindow(key) {
  if (key.notBefore === undefined && key.notAfter === undefined) return 'always';
  const from = key.notBefore !== undefined ? formatTime(key.notBefore * 1000) : '…';
  const to = key.notAfter !== undefined ? formatTime(key.notAfter * 1000) : '…';
  return `${from} – ${to}`;
}

function renderKeys(vin, body) {
  // The API's order is the store's; the main user's key first, then by age, reads the same each time.
  const keys = [...body.keys].sort((a, b) => (a.role === b.role ? a.createdAt - b.createdAt : a.role === 'main' ? -1 : 1));
  shown = { vin, keys };
  $('vehicle-vin').textContent = vin;
  $('vehicle-summary').textContent =
    `Key epoch ${body.epoch}, state seq ${body.seq}. ` + (body.mainUser ? `Main user: account ${body.mainUser}.` : 'No main user.');
  const tbody = $('keys').querySelector('tbody');
  tbody.replaceChildren();
  for (const key of keys) {
    const row = document.createElement('tr');
    row.dataset.keyId = key.keyId;
    row.dataset.passkeyId = key.passkeyId;
    cell(row, key.role).className = `role-${key.role}`;
    cell(row, key.perms.join(', '));
    cell(row, keyWindow(key));
    cell(row, shortId(key.passkeyId));
    cell(row, shortId(key.accountId));
    cell(row, formatTime(key.createdAt));
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'danger small';
    button.textContent = 'Revoke this phone…';
    button.addEventListener('click', () => askToRevoke({ scope: 'passkey', passkeyId: key.passkeyId }, key));
    cell(row, button);
    tbody.append(row);
  }
  $('keys').hidden = keys.length === 0;
  $('keys-empty').hidden = keys.length > 0;
  $('revoke-all').hidden = keys.length === 0;
}

function renderAudit(body) {
  const tbody = $('audit').querySelector('tbody');
  tbody.replaceChildren();
  // The API lists oldest first; a dealer reads the latest first.
  const entries = [...body.entries].reverse();
  for (const entry of entries) {
    const row = document.createElement('tr');
    cell(row, formatTime(entry.at));
    cell(row, entry.action);
    cell(row, entry.actor.accountId ? shortId(entry.actor.accountId) : '—');
    cell(row, entry.actor.role);
    // A wipe records its kind as the reason and the dealer's own words as detail.note.
    const note = typeof entry.detail?.note === 'string' ? entry.detail.note : '';
    cell(row, note ? `${entry.reason}: ${note}` : entry.reason);
    const keys = document.createElement('span');
    entry.keyIds.forEach((id, i) => {
      if (i > 0) keys.append(' ');
      keys.append(shortId(id));
    });
    cell(row, entry.keyIds.length ? keys : '—');
    cell(row, String(entry.epoch));
    cell(row, String(entry.seq));
    tbody.append(row);
  }
  $('audit').hidden = entries.length === 0;
  $('audit-empty').hidden = entries.length > 0;
}

async function loadVehicle(vin) {
  const path = `/v1/dealer/vehicles/${encodeURIComponent(vin)}`;
  const [keys, audit] = await Promise.all([api('GET', `${path}/keys`), api('GET', `${path}/audit?limit=${AUDIT_LIMIT}`)]);
  closeConfirm();
  renderKeys(vin, keys);
  renderAudit(audit);
  $('vehicle').hidden = false;
}

// --- the confirm step -----------------------------------------------------------------------------

function askToRevoke(action, key) {
  clearMessages();
  pending = action;
  if (action.scope === 'passkey') {
    $('confirm-title').textContent = "Revoke a lost phone's keys";
    $('confirm-text').textContent =
      `This revokes the ${key.role} key (${key.perms.join(', ')}) of passkey ${action.passkeyId} on ${shown.vin}, ` +
      "revokes that phone's keys on every other vehicle, and disables the passkey so it can no longer log in.";
    $('confirm-submit').textContent = 'Revoke phone';
  } else {
    $('confirm-title').textContent = 'Revoke all keys';
    $('confirm-text').textContent = `This wipes every key of ${shown.vin} (${shown.keys.length} now), the main user's included.`;
    $('confirm-submit').textContent = 'Revoke all keys';
  }
  $('confirm-reason').value = '';
  $('confirm-form').hidden = false;
  $('confirm-reason').focus();
}

function closeConfirm() {
  pending = null;
  $('confirm-form').hidden = true;
}

// --- actions --------------------------------------------------------------------------------------

/** Run an action with its button disabled; errors are shown, and a dead session logs out. */
async function busy(button, action) {
  button.disabled = true;
  try {
    await action();
  } catch (err) {
    if (err?.code === 'UNAUTHENTICATED' || err?.code === 'PASSKEY_DISABLED') endSession();
    showError(err);
  } finally {
    button.disabled = false;
  }
}

async function logIn() {
  clearMessages();
  const email = $('login-email').value.trim();
  const { challengeId, options } = await api('POST', '/v1/sessions/options', email ? { email } : {});
  const credential = await navigator.credentials.get({ publicKey: requestOptionsFromJson(options) });
  if (!credential) throw new PortalError('AUTHENTICATION_FAILED', 'No passkey was chosen');
  session = await api('POST', '/v1/sessions', { challengeId, response: assertionToJson(credential) });
  const me = await api('GET', '/v1/me');
  $('who-name').textContent = `${me.displayName} <${me.email}>` + (me.dealer ? ' · dealer' : ' · not a dealer account');
  $('who').hidden = false;
  $('login').hidden = true;
  $('workspace').hidden = false;
  $('vin').focus();
}

/** A fresh passkey check (user verification) for the same account: its new session replaces the old one. */
async function stepUp() {
  const { challengeId, options } = await api('POST', '/v1/sessions/options', {});
  const credential = await navigator.credentials.get({ publicKey: requestOptionsFromJson(options) });
  if (!credential) throw new PortalError('AUTHENTICATION_FAILED', 'No passkey was chosen');
  const fresh = await api('POST', '/v1/sessions', { challengeId, response: assertionToJson(credential) });
  if (fresh.accountId !== session?.accountId) throw new PortalError('FORBIDDEN', 'Confirm with the passkey of the dealer who is logged in');
  session = fresh;
}

function endSession() {
  session = null;
  shown = null;
  closeConfirm();
  $('who').hidden = true;
  $('workspace').hidden = true;
  $('vehicle').hidden = true;
  $('login').hidden = false;
}

async function lookUp() {
  clearMessages();
  const input = /** @type {HTMLInputElement} */ ($('vin'));
  const vin = input.value.trim().toUpperCase();
  input.value = vin;
  if (!VIN_PATTERN.test(vin)) {
    throw new PortalError('VALIDATION_FAILED', 'A VIN is 17 characters: capital letters without I, O and Q, and digits.');
  }
  $('vehicle').hidden = true;
  shown = null;
  await loadVehicle(vin);
}

async function confirmRevocation() {
  if (!pending || !shown) return;
  const reason = /** @type {HTMLInputElement} */ ($('confirm-reason')).value.trim();
  if (reason.length < 3) throw new PortalError('VALIDATION_FAILED', 'Give a reason of at least 3 characters: it is recorded in the audit trail.');
  const body = pending.scope === 'passkey' ? { scope: 'passkey', passkeyId: pending.passkeyId, reason } : { scope: 'all', reason };
  const path = `/v1/dealer/vehicles/${encodeURIComponent(shown.vin)}/revocations`;
  let result;
  try {
    result = await api('POST', path, body);
  } catch (err) {
    // Step-up: a destructive action needs a passkey check of the last 5 minutes; check, then repeat once.
    if (err?.detail?.stepUp !== 'required') throw err;
    await stepUp();
    result = await api('POST', path, body);
  }
  await loadVehicle(shown.vin);
  showNotice(`Revoked ${result.revokedKeyIds.length} key(s). The vehicle is now at key epoch ${result.epoch}, state seq ${result.seq}.`);
}

function onSubmit(formId, buttonId, action) {
  $(formId).addEventListener('submit', (event) => {
    event.preventDefault();
    void busy($(buttonId), action);
  });
}

onSubmit('login-form', 'login-button', logIn);
onSubmit('vin-form', 'vin-button', lookUp);
onSubmit('confirm-form', 'confirm-submit', confirmRevocation);
$('revoke-all').addEventListener('click', () => askToRevoke({ scope: 'all' }));
$('confirm-cancel').addEventListener('click', closeConfirm);
$('logout').addEventListener('click', async () => {
  // Ends the token on the server too; the page forgets it whatever the answer.
  await api('DELETE', '/v1/sessions/current').catch(() => undefined);
  endSession();
  clearMessages();
  showNotice('Logged out.');
});
