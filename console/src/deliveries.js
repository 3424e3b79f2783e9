// The network's failing partner postback deliveries (GET /admin/deliveries: one list kept beside
// the deliveries, no scan), each with its state and a Retry; a delivered retry leaves the list.
import { useState } from 'preact/hooks';
import { admin } from './api.js';
import { At, Done, ErrorNote, html, Loaded, Page, Table, useAction, useCanChange, useLoad, useNames } from './ui.js';

const STATES = {
  retrying: 'Retrying (the queue tries again)',
  failed: 'Failed (no try pending)',
  refused: 'Refused (an address Goalpost will not call)',
};

/** A page of failing deliveries with Retry buttons; `limit` rows, `more` to page on. */
export function FailingDeliveries({ limit = 50, caption, paged = false }) {
  const canChange = useCanChange();
  const names = useNames();
  const retry = useAction();
  const [cursors, setCursors] = useState(['']);
  const cursor = cursors[cursors.length - 1];
  const listed = useLoad(() => admin('GET', '/deliveries', { params: { limit, cursor } }), [limit, cursor]);
  return html`<${Loaded} state=${listed} what="the failing deliveries">${(p) => html`
    <${Table} caption=${caption} rows=${p.items} rowKey=${(d) => d.offer_id + '/' + d.delivery_id}
      empty="No failing partner deliveries."
      columns=${[
        ['Offer', (d) => html`<a href=${`#/offers/${d.offer_id}/postbacks`}>${names.offer(d.offer_id)}</a>`],
        ['Partner', (d) => names.partner(d.partner_id)],
        ['State', (d) => html`<span data-testid=${'state-' + d.delivery_id}>${STATES[d.state] || d.state}</span>`],
        ['Attempts', (d) => d.attempts, { num: true }],
        ['HTTP', (d) => d.response_code || '', { num: true }],
        ['Last attempt', (d) => html`<${At} value=${d.last_attempt_at} />`],
        ['Next try', (d) => (d.state === 'retrying' ? html`<${At} value=${d.next_retry_at} />` : '—')],
        ['Error', (d) => html`<span class="secret">${d.last_error || ''}</span>`],
        [
          '',
          (d) =>
            canChange
              ? html`<button type="button" class="secondary outline" aria-label=${`Retry delivery ${d.delivery_id}`}
                  onClick=${() => retry.run(() => admin('POST', `/offers/${d.offer_id}/deliveries/${d.delivery_id}/retry`).then(listed.reload), 'Retried: see its state.')}>Retry</button>`
              : null,
        ],
      ]} />
    ${
      paged && (p.next_cursor || cursors.length > 1)
        ? html`<nav class="actions pager" aria-label="Pages of failing deliveries">
        <button type="button" class="secondary outline" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous</button>
        <button type="button" class="secondary outline" disabled=${!p.next_cursor} onClick=${() => setCursors([...cursors, p.next_cursor])}>Next</button>
      </nav>`
        : null
    }
    <${ErrorNote} error=${retry.error} /><${Done} message=${retry.done} />`}<//>`;
}

export function DeliveriesScreen() {
  return html`<${Page} title="Partner deliveries">
    <p>Postbacks to partners whose last try failed or was refused, across the network. A failed try
    is tried again by the queue on its back-off (six tries in all); Retry sends it now. Each offer's
    whole delivery log is on its <em>Partner postbacks</em> tab.</p>
    <${FailingDeliveries} caption="Failing partner deliveries, by offer" paged />
  <//>`;
}
