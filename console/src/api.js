// The admin API (as the signed-in console user) and the partner API (with the partner's key).
// One place that knows the URLs' prefixes, the error shape and the If-Match versions.
import { partnerKey, refreshStaff, staffSession } from './auth.js';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export const signedOut = new EventTarget();

function query(params) {
  const pairs = Object.entries(params || {}).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return pairs.length ? '?' + new URLSearchParams(pairs).toString() : '';
}

async function send(url, options, headers, retry) {
  const response = await fetch(url, { ...options, headers: { ...headers(), ...(options.headers || {}) } });
  if (response.status === 401 && retry && (await retry())) return send(url, options, headers, null);
  if (response.status === 401) signedOut.dispatchEvent(new Event('signed-out'));
  return response;
}

async function parse(response, raw) {
  if (response.ok) {
    if (raw) return response;
    if (response.status === 204) return null;
    const body = await response.json();
    const etag = response.headers.get('etag');
    if (etag && body && typeof body === 'object' && body.version === undefined)
      body.version = Number(etag.replace(/"/g, ''));
    return body;
  }
  const body = await response.json().catch(() => ({}));
  const error = body.error || {};
  const details = (error.details || []).map((d) => `${(d.loc || []).filter((p) => p !== 'body').join('.')}: ${d.msg}`);
  const message = error.message || body.message || `request failed (${response.status})`;
  throw new ApiError(response.status, error.code || 'http_' + response.status, message, details);
}

function request(base, headers, retry) {
  return async (method, path, { body, version, params, raw } = {}) => {
    const extra = {};
    if (body !== undefined) extra['content-type'] = 'application/json';
    if (version !== undefined) extra['if-match'] = `"${version}"`;
    const options = { method, headers: extra, body: body === undefined ? undefined : JSON.stringify(body) };
    return parse(await send(base + path + query(params), options, headers, retry), raw);
  };
}

/** The admin API under /console/api (the console's JWT route to the same functions as /admin). */
export const admin = request(
  '/console/api/admin',
  () => ({ authorization: `Bearer ${(staffSession() || {}).access || ''}` }),
  refreshStaff,
);

/** The partner API: the partner's own view, with its API key. */
export const partner = request('/partner', () => ({ 'x-api-key': partnerKey() || '' }), null);

/** A CSV report downloaded with the caller's credentials (a plain link could not carry them):
 * every page (X-Next-Cursor), one header row. */
export async function downloadCsv(call, path, params, filename, { paged = true } = {}) {
  const parts = [];
  let cursor;
  do {
    const paging = paged ? { limit: 100, cursor } : {};
    const response = await call('GET', path, { params: { ...params, ...paging, format: 'csv' }, raw: true });
    const text = await response.text();
    parts.push(parts.length ? text.slice(text.indexOf('\n') + 1) : text);
    cursor = response.headers.get('x-next-cursor');
  } while (cursor);
  const url = URL.createObjectURL(new Blob(parts, { type: 'text/csv' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
