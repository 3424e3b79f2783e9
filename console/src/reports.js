// Reports: the conversion report (filters, CSV, bulk decisions), one conversion and its
// adjustments, stats with a chart, network settings and tiers, and the audit history.
import { useState } from 'preact/hooks';
import { admin, downloadCsv } from './api.js';
import { Decisions } from './activity.js';
import { CurrencyInput } from './rates.js';
import {
  At,
  changes,
  Check,
  chosenZone,
  ConflictNote,
  defaultRange,
  Done,
  ErrorNote,
  everything,
  html,
  Loaded,
  money,
  named,
  options,
  Page,
  patchOf,
  RangeFields,
  show,
  Table,
  TrafficChart,
  useAction,
  useCanChange,
  useChartSeries,
  useGoalNames,
  useLoad,
  useNames,
  useVersionedSave,
} from './ui.js';

function Filters({ value, onInput, lists, statuses }) {
  const set = (key) => (e) => onInput({ ...value, [key]: e.target.value });
  return html`<div class="grid-form">
    <label for="f-offer">Offer <select id="f-offer" onChange=${set('offer_id')}>${options(lists.offers, 'offer_id', value.offer_id, 'All offers')}</select></label>
    <label for="f-goal">Goal ID <input id="f-goal" inputmode="numeric" pattern="[0-9]*" value=${value.goal_id} onInput=${set('goal_id')} placeholder="any" /></label>
    <label for="f-partner">Partner <select id="f-partner" onChange=${set('partner_id')}>${options(lists.partners, 'partner_id', value.partner_id, 'All partners')}</select></label>
    <label for="f-advertiser">Advertiser <select id="f-advertiser" onChange=${set('advertiser_id')}>${options(lists.advertisers, 'advertiser_id', value.advertiser_id, 'All advertisers')}</select></label>
    ${
      statuses
        ? html`<label for="f-status">Status <select id="f-status" onChange=${set('status')}>
      ${[
        ['', 'Any'],
        ['approved', 'Approved'],
        ['pending', 'Pending'],
        ['rejected', 'Rejected'],
      ].map(([v, l]) => html`<option value=${v} selected=${value.status === v}>${l}</option>`)}</select></label>`
        : null
    }
  </div>`;
}

function useLists() {
  return useLoad(
    async () => ({
      offers: await everything(admin, '/offers'),
      partners: await everything(admin, '/partners'),
      advertisers: await everything(admin, '/advertisers'),
    }),
    [],
  );
}

export function ConversionsScreen() {
  const canChange = useCanChange();
  const [range, setRange] = useState(defaultRange());
  const [filters, setFilters] = useState({ offer_id: '', goal_id: '', partner_id: '', advertiser_id: '', status: '' });
  const [pages, setPages] = useState(1);
  const lists = useLists();
  const params = { ...range, ...filters };
  const report = useLoad(async () => {
    const items = [];
    let cursor;
    let page;
    for (let i = 0; i < pages; i += 1) {
      page = await admin('GET', '/conversions', { params: { ...params, limit: 100, cursor } });
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    return { ...page, items, next_cursor: cursor };
  }, [JSON.stringify(params), pages]);
  const csv = useAction();
  const totals = (items) => {
    const sum = (key) =>
      items.filter((c) => c.status === 'approved').reduce((acc, c) => addDecimal(acc, c[key] || '0'), '0');
    return { payout: sum('payout'), revenue: sum('revenue') };
  };
  return html`<${Page} title="Conversion report">
    <form onSubmit=${(e) => e.preventDefault()} aria-label="Report filters">
      <${RangeFields} value=${range} onInput=${(v) => {
        setPages(1);
        setRange(v);
      }} />
      <${Loaded} state=${lists} what="filters">${(l) =>
        html`<${Filters} value=${filters} onInput=${(v) => {
          setPages(1);
          setFilters(v);
        }} lists=${l} statuses />`}<//>
      <button type="button" class="secondary" aria-busy=${csv.busy} onClick=${() => csv.run(() => downloadCsv(admin, '/conversions', { ...params }, 'conversions.csv'))}>Download CSV</button>
      <${ErrorNote} error=${csv.error} />
    </form>
    <${Loaded} state=${report} what="conversions">${(r) => {
      const sums = totals(r.items);
      return html`
        <p role="status">${r.items.length} conversion(s) shown; approved payout <strong data-testid="report-payout">${money(sums.payout)}</strong>, revenue <strong>${money(sums.revenue)}</strong>.</p>
        <${Decisions} items=${r.items} decidable=${filters.status === 'pending'} onDecided=${report.reload}
          caption=${`Conversions ${r.from} to ${r.to} (${r.timezone}), newest first${canChange ? '; choose status Pending to approve or reject in bulk' : ''}`} />
        ${r.next_cursor ? html`<button type="button" class="secondary" onClick=${() => setPages(pages + 1)}>Show more</button>` : null}`;
    }}<//>
  <//>`;
}

/** Decimal strings added digit-exactly (no float on money): scaled to 6 places as BigInt. */
export function addDecimal(a, b) {
  const scale = (v) => {
    const [whole, fraction = ''] = String(v).replace('-', '').split('.');
    const n = BigInt(whole || '0') * 1000000n + BigInt((fraction + '000000').slice(0, 6));
    return String(v).startsWith('-') ? -n : n;
  };
  const total = scale(a) + scale(b);
  const negative = total < 0n;
  const abs = negative ? -total : total;
  const text = `${abs / 1000000n}.${String(abs % 1000000n).padStart(6, '0')}`.replace(/0+$/, '').replace(/\.$/, '');
  return (negative ? '-' : '') + text;
}

export function ConversionScreen({ conversionId }) {
  const canChange = useCanChange();
  const names = useNames();
  const conversion = useLoad(() => admin('GET', `/conversions/${conversionId}`), [conversionId]);
  const [form, setForm] = useState({ payout: '', revenue: '', sale_amount: '', status: '', note: '' });
  const action = useAction();
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const submit = (e) => {
    e.preventDefault();
    const body = Object.fromEntries(Object.entries(form).filter(([, v]) => v !== ''));
    action.run(
      () =>
        admin('PATCH', `/conversions/${conversionId}`, { body }).then(() => {
          setForm({ payout: '', revenue: '', sale_amount: '', status: '', note: '' });
          conversion.reload();
        }),
      'Adjusted.',
    );
  };
  // a refusal (why it was refused) and a clawback (what it reverses) are history: nothing to adjust
  const what = (c) => (c.kind === 'clawback' ? 'Clawback' : c.conversion_id.includes('-R') ? 'Refusal' : 'Conversion');
  const adjustable = (c) => what(c) === 'Conversion';
  return html`<${Loaded} state=${conversion} what="the conversion">${(
    c,
  ) => html`<${Page} title=${`${what(c)} ${c.conversion_id}`}>
    ${c.reverses ? html`<p>Reverses the payout and revenue of conversion <a href=${`#/conversions/${c.reverses}`}>${c.reverses}</a>.</p>` : null}
    ${what(c) === 'Refusal' ? html`<p role="note">Refused: ${c.note || c.status_code}</p>` : null}
    <p><a href=${`#/trace?conversion_id=${c.conversion_id}`}>Trace this click</a>: the click, every postback and pixel, the partner deliveries.</p>
    <dl class="grid-form">
      ${[
        ['Kind', c.kind],
        ['Status', c.status],
        ['Status code', c.status_code],
        ['Created', html`<${At} value=${c.created_at} />`],
        ['Offer', html`<a href=${`#/offers/${c.offer_id}`}>${names.offer(c.offer_id)}</a>`],
        ['Goal', named(c.goal_name, c.goal_id)],
        ['Partner', names.partner(c.partner_id)],
        ['Advertiser', names.advertiser(c.advertiser_id)],
        ['Transaction', html`<span class="secret">${c.transaction_id || ''}</span>`],
        ['Via', c.via],
      ].map(
        ([label, value]) =>
          html`<div><dt>${label}</dt><dd data-testid=${'conversion-' + label.toLowerCase().replace(' ', '-')}>${value ?? ''}</dd></div>`,
      )}
      <div><dt>Sale amount</dt><dd>${money(c.sale_amount, c.sale_currency || c.currency)}${c.sale_rate ? ` (at ${c.sale_rate} ${c.currency} per ${c.sale_currency})` : ''}</dd></div>
      <div><dt>Payout</dt><dd>${money(c.payout, c.currency)}</dd></div>
      <div><dt>Revenue</dt><dd>${money(c.revenue, c.currency)}</dd></div>
      ${c.partner_currency && c.partner_currency !== c.currency ? html`<div><dt>Paid to the partner</dt><dd>${money(c.partner_payout, c.partner_currency)} (at ${c.partner_rate})</dd></div>` : null}
      ${c.base_currency && c.base_currency !== c.currency ? html`<div><dt>In the base currency</dt><dd>payout ${money(c.base_payout, c.base_currency)}, revenue ${money(c.base_revenue, c.base_currency)} (at ${c.base_rate})</dd></div>` : null}
      ${c.rate_day ? html`<div><dt>Rates of</dt><dd>${c.rate_day}</dd></div>` : null}
    </dl>
    <h2>Adjustments</h2>
    <${Table} caption="Who changed what, when and why" rows=${c.adjustments || []} empty="No adjustments."
      columns=${[
        ['When', (a) => html`<${At} value=${a.at} />`],
        ['Who', (a) => a.actor || a.by || ''],
        ['Why', (a) => a.reason || a.note || ''],
        [
          'Change',
          (a) =>
            html`<ul class="changes">${(a.before || a.after
              ? changes(a.before || {}, a.after || {})
              : [{ field: 'status', from: a.from, to: a.to }]
            ).map((ch) => html`<li><code>${ch.field}</code>: ${show(ch.from)} → ${show(ch.to)}</li>`)}</ul>`,
        ],
      ]} />
    ${
      canChange && adjustable(c)
        ? html`<form onSubmit=${submit} aria-labelledby="adjust"><h2 id="adjust">Adjust</h2>
      <div class="grid-form">
        <label for="adj-payout">Payout <input id="adj-payout" inputmode="decimal" value=${form.payout} onInput=${set('payout')} /></label>
        <label for="adj-revenue">Revenue <input id="adj-revenue" inputmode="decimal" value=${form.revenue} onInput=${set('revenue')} /></label>
        <label for="adj-sale">Sale amount <input id="adj-sale" inputmode="decimal" value=${form.sale_amount} onInput=${set('sale_amount')} /></label>
        <label for="adj-status">Status <select id="adj-status" onChange=${set('status')}>${['', 'approved', 'pending', 'rejected'].map((s) => html`<option value=${s} selected=${form.status === s}>${s || 'unchanged'}</option>`)}</select></label>
      </div>
      <label for="adj-note">Why (required) <input id="adj-note" required maxlength="500" value=${form.note} onInput=${set('note')} /></label>
      <${ErrorNote} error=${action.error} /><${Done} message=${action.done} />
      <button type="submit" aria-busy=${action.busy}>Save adjustment</button></form>`
        : null
    }
  <//>`}<//>`;
}

const METRICS = [
  ['clicks', 'Clicks'],
  ['unique_clicks', 'Unique clicks'],
  ['invalid_clicks', 'Invalid clicks'],
  ['conversions', 'Conversions'],
  ['pending', 'Pending'],
  ['held', 'Held'],
  ['payout', 'Payout'],
  ['revenue', 'Revenue'],
  ['profit', 'Profit'],
  ['conversion_rate', 'CR %'],
];

/** Stats by offer / goal / partner / advertiser over a range, with the chart over time. */
export function StatsScreen() {
  const [range, setRange] = useState(defaultRange());
  const [view, setView] = useState({ interval: 'day', group_by: 'offer', money: 'base' });
  const [filters, setFilters] = useState({ offer_id: '', goal_id: '', partner_id: '', advertiser_id: '' });
  const lists = useLists();
  // the sub ids the network keeps a breakdown of (Network settings: "Stats by sub id")
  const network = useLoad(() => admin('GET', '/network'), []);
  const kept = (network.data && network.data.stats_sub_ids) || [];
  const groupings = ['offer', 'goal', 'partner', 'advertiser', 'offer,goal', 'offer,partner'].concat(
    kept.flatMap((sub) => [sub, `${sub},partner`]),
  );
  const params = { ...range, ...view, ...filters };
  const stats = useLoad(() => admin('GET', '/stats', { params }), [JSON.stringify(params)]);
  const series = useChartSeries(admin, params, stats);
  const labels = useStatsLabels(stats.data);
  const csv = useAction();
  return html`<${Page} title="Stats">
    <form onSubmit=${(e) => e.preventDefault()} aria-label="Stats filters">
      <${RangeFields} value=${range} onInput=${setRange} />
      <div class="grid-form">
        <label for="s-interval">By <select id="s-interval" onChange=${(e) => setView({ ...view, interval: e.target.value })}>${['hour', 'day', 'total'].map((i) => html`<option selected=${view.interval === i}>${i}</option>`)}</select></label>
        <label for="s-group">Rows per <select id="s-group" onChange=${(e) => setView({ ...view, group_by: e.target.value })}>${groupings.map((g) => html`<option selected=${view.group_by === g}>${g}</option>`)}</select></label>
        <label for="s-money">Money in <select id="s-money" onChange=${(e) => setView({ ...view, money: e.target.value })}>
          <option value="base" selected=${view.money === 'base'}>the base currency</option>
          <option value="original" selected=${view.money === 'original'}>each offer's currency</option></select></label>
      </div>
      <${Loaded} state=${lists} what="filters">${(l) => html`<${Filters} value=${filters} onInput=${setFilters} lists=${l} />`}<//>
      <button type="button" class="secondary" aria-busy=${csv.busy} onClick=${() => csv.run(() => downloadCsv(admin, '/stats', params, 'stats.csv', { paged: false }))}>Download CSV</button>
      <${ErrorNote} error=${csv.error} />
    </form>
    <p class="muted" id="cr-note">CR % is the default goal's conversions over clicks; grouped by goal, each goal's conversions over its offer's clicks.</p>
    <${Loaded} state=${series} what="the chart">${(s) => html`<${TrafficChart} rows=${s.rows} from=${s.from} to=${s.to} label=${`Clicks and conversions per ${view.interval === 'hour' ? 'hour' : 'day'}, ${s.from} to ${s.to} (${s.timezone})`} />`}<//>
    <${Loaded} state=${stats} what="stats">${(s) => html`<${StatsTable} stats=${s} metrics=${METRICS} label=${labels} />`}<//>
  <//>`;
}

/** The sub ids stats may break down by (where the network keeps them). */
export const SUB_IDS = ['aff_sub', 'aff_sub2', 'aff_sub3', 'aff_sub4', 'aff_sub5', 'source'];

/** A stats row's dimension as "Name (id)", from the names the screen has loaded. */
export function useStatsLabels(stats) {
  const names = useNames();
  const goalName = useGoalNames(
    (stats && (stats.group_by || []).includes('goal') ? stats.rows : []).map((r) => r.offer_id),
  );
  return (dim, row) => {
    const id = row[`${dim}_id`] ?? row[dim];
    if (SUB_IDS.includes(dim)) return id || '(none)';
    if (dim === 'goal' && !id) return 'Clicks (no goal)';
    if (dim === 'goal') return row.offer_id === undefined ? String(id ?? '') : goalName(row.offer_id, id);
    return names[dim] ? names[dim](id) : String(id ?? '');
  };
}

export function StatsTable({ stats, metrics, label }) {
  const dims = stats.group_by || [];
  const cell = (row, key) =>
    ['payout', 'revenue', 'profit', 'sale_amount'].includes(key)
      ? money(row[key], row.currency || stats.totals.currency)
      : (row[key] ?? '');
  return html`
    <${Table} caption=${stats.consistency} rows=${stats.rows} empty="No traffic in this range yet (stats trail the tracking by a few seconds)."
      columns=${[
        ...(stats.interval === 'total' ? [] : [['Period', (r) => r.period]]),
        ...dims.map((d) => [
          d[0].toUpperCase() + d.slice(1),
          (r) =>
            label ? label(d, r) : r[`${d}_name`] ? named(r[`${d}_name`], r[`${d}_id`]) : (r[`${d}_id`] ?? r[d] ?? ''),
        ]),
        ...metrics.map(([key, label]) => [label, (r) => cell(r, key), { num: true }]),
      ]} />
    <p><strong>Totals:</strong> ${metrics.map(([key, label]) => html`<span>${label} <span data-testid=${'total-' + key}>${cell(stats.totals, key)}</span>; </span>`)}</p>`;
}

/** The screening rules' network defaults (set through the admin API: PUT /admin/network),
 * the bot list's version and the fallback URL, read-only (README, Traffic screening). */
function ScreeningSummary({ network }) {
  const rules = Object.entries(network.screening || {}).filter(([, rule]) => rule !== null && rule !== undefined);
  return html`<h2>Traffic screening</h2>
    <p>Bot list: crawler-user-agents <strong data-testid="bot-list-version">${network.bot_list_version || 'not installed'}</strong>. Fallback URL: ${network.fallback_url || 'none'}.</p>
    <${Table} caption="Network defaults (each offer may override them)" rows=${rules} rowKey=${([name]) => name}
      empty="No rule set: the built-in defaults apply (only too_soon, the lookback minimum, refuses)."
      columns=${[
        ['Rule', ([name]) => name],
        [
          'Setting',
          ([, rule]) =>
            typeof rule === 'object'
              ? `${rule.action ?? 'built-in action'}${rule.limit ? ` (limit ${rule.limit})` : ''}`
              : String(rule),
        ],
      ]} />`;
}

/** Network settings (the "Offer Goals" switch among them) and partner tiers. */
export function NetworkScreen() {
  const network = useLoad(() => admin('GET', '/network'), []);
  const tiers = useLoad(() => everything(admin, '/tiers'), []);
  return html`<${Page} title="Network settings">
    <${Loaded} state=${network} what="settings">${(n) => html`<${NetworkForm} key=${n.version} network=${n} onSaved=${network.reload} />`}<//>
    <${Loaded} state=${network} what="screening">${(n) => html`<${ScreeningSummary} network=${n} />`}<//>
    <h2>Partner tiers</h2>
    <${Loaded} state=${tiers} what="tiers">${(items) =>
      html`<${Tiers} items=${items} network=${network.data} onSaved=${() => {
        tiers.reload();
        network.reload();
      }} />`}<//>
    <p><a href="#/history/network/settings">History of the network settings</a></p>
  <//>`;
}

const SWITCHES = [
  ['goals_enabled', 'Offer Goals', 'off: no offer converts on goals besides its default goal, everywhere'],
  ['approval_enabled', 'Approval of conversions', 'goals may hold conversions for approval'],
  ['encrypted_enabled', 'Encrypted tracking', 'goals may sign their links'],
  ['partners_see_pending', 'Partners see pending conversions', ''],
  ['partners_manage_postbacks', 'Partners manage their own postbacks', 'in their portal, on goals they see'],
  [
    'partners_html_pixels',
    'Partners may save HTML pixel code',
    'runs sandboxed on the tracking domain; off: URLs only',
  ],
];

function NetworkForm({ network, onSaved }) {
  const canChange = useCanChange();
  const pick = (n) => ({
    ...Object.fromEntries(SWITCHES.map(([k]) => [k, n[k]])),
    tracking_domain: n.tracking_domain,
    currency: n.currency,
    session_hours: n.session_hours,
    fallback_url: n.fallback_url || '',
    stats_sub_ids: n.stats_sub_ids || [],
  });
  const [form, setForm] = useState(pick(network));
  const saving = useVersionedSave(() => admin('GET', '/network'));
  const submit = (versioned) =>
    saving
      .save(
        versioned,
        (latest) => admin('PUT', '/network', { body: patchOf(pick(network), form), version: latest.version }),
        'Network settings saved.',
      )
      .then((saved) => saved && onSaved());
  return html`<form onSubmit=${(e) => {
    e.preventDefault();
    submit(saving.conflict ? saving.conflict.latest : network);
  }}>
    <fieldset disabled=${!canChange}>
      ${SWITCHES.map(([key, label, hint]) => html`<${Check} id=${'n-' + key} switchRole label=${label} hint=${hint} checked=${form[key]} onChange=${(v) => setForm({ ...form, [key]: v })} />`)}
      <div class="grid-form">
        <label for="n-domain">Tracking domain <input id="n-domain" value=${form.tracking_domain} onInput=${(e) => setForm({ ...form, tracking_domain: e.target.value })} placeholder="track.example.com" /></label>
        <${CurrencyInput} id="n-currency" label="Base currency (reports add up in it)" required value=${form.currency} onInput=${(v) => setForm({ ...form, currency: v })} />
        <label for="n-hours">Session lifespan (hours) <input id="n-hours" type="number" min="1" max="8760" value=${form.session_hours} onInput=${(e) => setForm({ ...form, session_hours: Number(e.target.value) })} /></label>
        <label for="n-fallback">Fallback URL (clicks that cannot reach their offer) <input id="n-fallback" type="url" value=${form.fallback_url} onInput=${(e) => setForm({ ...form, fallback_url: e.target.value })} placeholder="https://network.example/" /></label>
      </div>
      <fieldset><legend>Stats by sub id (kept per value from when chosen; choose sub ids partners fill with few values, not click ids)</legend>
        ${SUB_IDS.map(
          (sub) =>
            html`<${Check} id=${'n-sub-' + sub} label=${sub} checked=${form.stats_sub_ids.includes(sub)}
              onChange=${(on) => setForm({ ...form, stats_sub_ids: on ? [...form.stats_sub_ids, sub] : form.stats_sub_ids.filter((s) => s !== sub) })} />`,
        )}
      </fieldset>
    </fieldset>
    <${ErrorNote} error=${saving.error} /><${Done} message=${saving.done} />
    <${ConflictNote} conflict=${saving.conflict} onApply=${() => submit(saving.conflict.latest)} onDiscard=${() => {
      saving.dropConflict();
      onSaved();
    }} />
    ${canChange ? html`<button type="submit" aria-busy=${saving.busy}>Save settings</button>` : null}
  </form>`;
}

function Tiers({ items, network, onSaved }) {
  const canChange = useCanChange();
  const [name, setName] = useState('');
  const action = useAction();
  return html`<${Table} caption="Tiers set a goal's payout per partner group (one is the default)" rows=${items} rowKey=${(t) => t.tier_id} empty="No tiers."
      columns=${[
        ['ID', (t) => t.tier_id],
        ['Name', (t) => t.name],
        ['Level', (t) => t.level, { num: true }],
        [
          'Default',
          (t) =>
            network && network.default_tier_id === t.tier_id
              ? 'Yes'
              : canChange && network
                ? html`<button type="button" class="secondary outline" onClick=${() => action.run(() => admin('PUT', `/tiers/${t.tier_id}/default`, { version: network.version }).then(onSaved))}>Make default</button>`
                : 'No',
        ],
      ]} />
    ${
      canChange
        ? html`<form onSubmit=${(e) => {
            e.preventDefault();
            action.run(
              () =>
                admin('POST', '/tiers', { body: { name } }).then(() => {
                  setName('');
                  onSaved();
                }),
              'Tier created.',
            );
          }}>
      <div class="actions"><label for="tier-name" style="flex:1">New tier <input id="tier-name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      <button type="submit">Create tier</button></div></form>`
        : null
    }
    <${ErrorNote} error=${action.error} /><${Done} message=${action.done} />`;
}

const SUBJECT_KINDS = { offer: 'offer', partner: 'partner', advertiser: 'advertiser' };

/** One audit entry's changes, field by field: "payout.flat: 1 → 2" (a creation: "— → value"). */
export function auditChanges(entry) {
  const found = changes(entry.before || {}, entry.after || {});
  const seen = new Set(found.map((c) => c.field.split('.')[0]));
  // a secret changes behind "[redacted]" on both sides: changed, its values never shown
  for (const field of entry.changed || [])
    if (!seen.has(field) && !['updated_at', 'links'].includes(field)) found.push({ field, hidden: true });
  return found;
}

/** The audit history of any object: who changed what, when, each field before → after. */
export function HistoryScreen({ kind, subject }) {
  const names = useNames();
  const trail = useLoad(() => admin('GET', `/audit/${kind}/${subject}`, { params: { limit: 100 } }), [kind, subject]);
  const label = SUBJECT_KINDS[kind] ? names[SUBJECT_KINDS[kind]](subject) : subject;
  return html`<${Page} title=${`History of ${kind} ${label}`}>
    <${Loaded} state=${trail} what="the history">${(
      t,
    ) => html`<${Table} caption=${`Newest first; times in ${chosenZone()}`} rows=${t.items} empty="No changes recorded."
      columns=${[
        ['When', (e) => html`<${At} value=${e.at} />`],
        ['Who', (e) => e.actor],
        ['Action', (e) => e.action],
        [
          'Changes',
          (e) =>
            html`<ul class="changes">${auditChanges(e).map(
              (c) =>
                html`<li><code>${c.field}</code>${c.hidden ? ' changed (value not shown)' : html`: <span class="before">${show(c.from)}</span> → <span class="after">${show(c.to)}</span>`}</li>`,
            )}</ul>`,
        ],
      ]} />`}<//>
  <//>`;
}
