// The conversion trace: one click's whole story (the click, each postback and pixel with its
// decision and why, the rules that decided, adjustments, every partner delivery), and a
// search box that opens it by transaction id, conversion id or an offer's order id (adv_sub).
import { useState } from 'preact/hooks';
import { admin } from './api.js';
import { html, Loaded, money, Page, Table, useLoad } from './ui.js';

const shown = (v) =>
  v === undefined || v === null || v === '' ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** A trace's partner deliveries as table columns: the admin's trace and the partner's own. */
export const deliveryColumns = (answer) => [
  ['Event', (d) => d.event],
  ['Status', (d) => d.status],
  ['HTTP', (d) => shown(d.response_code)],
  ['Tries', (d) => shown(d.attempts)],
  ['Took', (d) => (d.took_ms !== undefined ? `${d.took_ms} ms` : '')],
  ['Next retry', (d) => d.next_retry_at || ''],
  ['URL sent', (d) => html`<code>${d.url}</code>`],
  [answer, (d) => html`<code>${d.answer_head || d.last_error || ''}</code>`],
];

function Facts({ facts, label }) {
  const rows = Object.entries(facts || {}).filter(([, v]) => shown(v) !== '' && shown(v) !== '{}' && shown(v) !== '[]');
  return html`<dl class="grid-form" aria-label=${label}>
    ${rows.map(([k, v]) => html`<div><dt>${k}</dt><dd>${shown(v)}</dd></div>`)}
  </dl>`;
}

function Money({ rules }) {
  const parts = [];
  if (rules.payout !== undefined) parts.push(`payout ${money(rules.payout, rules.currency)}`);
  if (rules.revenue !== undefined) parts.push(`revenue ${money(rules.revenue, rules.currency)}`);
  if (rules.partner_currency && rules.partner_currency !== rules.currency)
    parts.push(`partner ${money(rules.partner_payout, rules.partner_currency)} at ${rules.partner_rate}`);
  if (rules.base_currency && rules.base_currency !== rules.currency)
    parts.push(`base ${money(rules.base_payout, rules.base_currency)} at ${rules.base_rate}`);
  if (rules.sale_currency) parts.push(`sale in ${rules.sale_currency} at ${rules.sale_rate}`);
  return parts.length ? html`<p>${parts.join('; ')}${rules.rate_day ? ` (rates of ${rules.rate_day})` : ''}</p>` : null;
}

function Event({ e }) {
  const refused = e.decision === 'refused';
  return html`<article data-testid="trace-event" aria-label=${`${refused ? 'Refusal' : 'Conversion'} ${e.conversion_id}`}>
    <header><strong>${e.created_at}</strong> · ${e.via || e.kind} · <span data-testid="trace-decision">${e.decision}</span>
      <code data-testid="trace-code">${e.status_code}</code>${e.test ? html` <mark>test</mark>` : null}</header>
    ${e.note ? html`<p role="note">Why: ${e.note}</p>` : null}
    <p><a href=${`#/conversions/${e.conversion_id}`}>${e.conversion_id}</a> · goal ${e.goal_name || e.goal_id || e.requested_goal || '—'}</p>
    <${Facts} label="The request as received" facts=${{ query: e.request_query, ip: e.ip, user_agent: e.user_agent, adv_subs: e.adv_subs, unique_ids: e.unique_ids }} />
    <h4>Rules that decided</h4>
    <${Facts} label="Rules" facts=${{ goal_resolved_by: e.rules.goal_by, payout_source: e.rules.payout_source, cap: e.rules.cap, lookback: e.rules.lookback, screening: e.rules.screening, flags: e.rules.flags }} />
    <${Money} rules=${e.rules} />
    ${
      (e.adjustments || []).length
        ? html`<${Table} caption="Adjustments" rows=${e.adjustments} columns=${[
            ['When', (a) => a.at],
            ['From', (a) => a.from || ''],
            ['To', (a) => a.to || ''],
            ['Why', (a) => a.reason || ''],
            ['By', (a) => a.by || a.actor || a.via || ''],
          ]} />`
        : null
    }
    ${
      (e.deliveries || []).length
        ? html`<${Table} caption="Partner deliveries" rows=${e.deliveries} rowKey=${(d) => d.delivery_id} columns=${deliveryColumns('Answer (first 1 KB)')} />`
        : null
    }
  </article>`;
}

export function TraceView({ t }) {
  return html`<section aria-label=${`Trace of ${t.transaction_id}`}>
    <h2>Click</h2>
    ${t.session_found ? html`<${Facts} label="The click" facts=${t.click} />` : html`<p>The session has expired (its click is no longer kept); its records follow.</p>`}
    <h2>Postbacks and pixels, in order</h2>
    ${t.events.length ? t.events.map((e) => html`<${Event} e=${e} />`) : html`<p>Nothing received for this click.</p>`}
    ${t.truncated ? html`<p role="note">More records than one trace shows.</p>` : null}
    <p class="muted">Read with ${t.reads.get_item} GetItem and ${t.reads.query} queries.</p>
  </section>`;
}

export function TraceScreen({ transactionId, conversionId }) {
  const trace = useLoad(
    () =>
      conversionId
        ? admin('GET', '/trace', { params: { conversion_id: conversionId } })
        : admin('GET', `/trace/${transactionId}`),
    [transactionId, conversionId],
  );
  return html`<${Page} title=${`Trace ${transactionId || conversionId}`}>
    <${TraceSearch} />
    <${Loaded} state=${trace} what="the trace">${(t) => html`<${TraceView} t=${t} />`}<//>
  <//>`;
}

export function TraceSearch() {
  const [value, setValue] = useState('');
  const go = (e) => {
    e.preventDefault();
    const id = value.trim().toLowerCase();
    if (id) location.hash = /^[0-9a-f]{32}-/.test(id) ? `#/trace?conversion_id=${id}` : `#/trace/${id}`;
  };
  return html`<form role="search" onSubmit=${go} aria-label="Trace a click">
    <label for="trace-search">Transaction or conversion id
      <input id="trace-search" value=${value} onInput=${(e) => setValue(e.target.value)} placeholder="e.g. 3f2a…" pattern="[0-9a-fA-F_-]{1,150}" required /></label>
    <button type="submit">Trace</button>
  </form>`;
}

export function TraceSearchScreen() {
  return html`<${Page} title="Conversion trace">
    <p>Why did a conversion not track? Paste the click's transaction id (or a conversion id).</p>
    <${TraceSearch} />
  <//>`;
}
