// Advertisers and partners: create, block, keys and secrets (shown once).
import { useState } from 'preact/hooks';
import { admin } from './api.js';
import { CurrencyInput } from './rates.js';
import {
  ConflictNote,
  CopyField,
  Done,
  ErrorNote,
  everything,
  html,
  ListTable,
  Loaded,
  Page,
  useAction,
  useCanChange,
  useLoad,
  useVersionedSave,
} from './ui.js';

export function AdvertisersScreen() {
  const canChange = useCanChange();
  const list = useLoad(() => everything(admin, '/advertisers'), []);
  const [name, setName] = useState('');
  const [shown, setShown] = useState(null);
  const action = useAction();
  const rotate = (a) =>
    action.run(() =>
      admin('POST', `/advertisers/${a.advertiser_id}/security-token`).then((rotated) => {
        setShown(rotated);
        list.reload();
      }),
    );
  const create = (e) => {
    e.preventDefault();
    action.run(
      () =>
        admin('POST', '/advertisers', { body: { name } }).then(() => {
          setName('');
          list.reload();
        }),
      'Advertiser created.',
    );
  };
  return html`<${Page} title="Advertisers">
    ${
      shown
        ? html`<article class="notice-ok" role="alert" aria-labelledby="token-shown-once">
      <h2 id="token-shown-once">Copy it now: it is shown once</h2>
      <p>Advertiser ${shown.name} (${shown.advertiser_id}). Goalpost keeps only a digest of the security token: the goals' postback links show <code>security_token=HIDDEN</code>, put this token in its place.${shown.security_token_applied ? ' The previous token no longer works.' : ''}</p>
      <${CopyField} id="new-security-token" label="Security token" value=${shown.security_token} />
      <button type="button" class="secondary" onClick=${() => setShown(null)}>I have copied it</button>
    </article>`
        : null
    }
    <${Loaded} state=${list} what="advertisers">${(
      items,
    ) => html`<${ListTable} id="advertisers" what="advertisers" caption="Advertisers: their security token goes into their postback links (shown once, when it is made)" rows=${items} rowKey=${(a) => a.advertiser_id}
      searchText=${(a) => `${a.advertiser_id} ${a.name}`}
      columns=${[
        ['ID', (a) => a.advertiser_id, { sort: (a) => a.advertiser_id }],
        ['Name', (a) => a.name, { sort: (a) => a.name }],
        ['Status', (a) => a.status, { sort: (a) => a.status }],
        [
          'Security token',
          (a) =>
            a.security_token_set
              ? `set ${a.security_token_applied ? '(required)' : '(not required yet)'}; links show security_token=HIDDEN`
              : 'none',
        ],
        [
          '',
          (a) => html`<span class="actions">${
            canChange
              ? html`<${StatusButton} kind="advertisers" id=${a.advertiser_id} doc=${a} off="paused" onSaved=${list.reload} />
          <button type="button" class="secondary outline" aria-label=${`New security token for ${a.name}`} onClick=${() => rotate(a)}>New security token</button>`
              : null
          }
          <a href=${`#/history/advertiser/${a.advertiser_id}`}>History</a></span>`,
        ],
      ]} />`}<//>
    ${
      canChange
        ? html`<form onSubmit=${create} aria-labelledby="new-advertiser"><h2 id="new-advertiser">New advertiser</h2>
      <div class="actions"><label for="adv-name" style="flex:1">Name <input id="adv-name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      <button type="submit" aria-busy=${action.busy}>Create advertiser</button></div>
      <${ErrorNote} error=${action.error} /><${Done} message=${action.done} /></form>`
        : null
    }
  <//>`;
}

/** Block / unblock (advertisers: pause / activate), with the version read. */
function StatusButton({ kind, id, doc, off, onSaved }) {
  const saving = useVersionedSave(() => admin('GET', `/${kind}/${id}`));
  const next = doc.status === 'active' ? off : 'active';
  const label =
    next === 'active' ? (kind === 'partners' ? 'Unblock' : 'Activate') : kind === 'partners' ? 'Block' : 'Pause';
  const save = (base) =>
    saving
      .save(base, (latest) => admin('PATCH', `/${kind}/${id}`, { body: { status: next }, version: latest.version }))
      .then((saved) => saved && onSaved());
  return html`<span>
    <button type="button" class="secondary outline" aria-label=${`${label} ${doc.name}`} aria-busy=${saving.busy} onClick=${() => save(doc)}>${label}</button>
    <${ErrorNote} error=${saving.error} />
    <${ConflictNote} conflict=${saving.conflict} onApply=${() => save(saving.conflict.latest)} onDiscard=${() => {
      saving.dropConflict();
      onSaved();
    }} />
  </span>`;
}

/** Secrets the API shows once: the partner's API key and postback secret. Each creation or
 * rotation adds its own panel, kept until its own "copied" button: a second partner made before
 * the first one's keys were copied must not take them off the screen. */
function ShownOnce({ shown, onClose }) {
  return shown.map(
    ({ n, secrets }) => html`<article key=${n} class="notice-ok" role="alert" aria-labelledby=${`shown-once-${n}`}>
    <h2 id=${`shown-once-${n}`}>Copy these now: they are shown once</h2>
    <p>Partner ${secrets.name} (${secrets.partner_id}). Goalpost keeps only a digest of the API key: if it is lost, rotate it.</p>
    ${secrets.api_key ? html`<${CopyField} id=${`new-api-key-${n}`} label=${`API key of partner ${secrets.partner_id} (the partner signs in to its portal with it)`} value=${secrets.api_key} />` : null}
    ${secrets.postback_secret ? html`<${CopyField} id=${`new-postback-secret-${n}`} label=${`Postback secret of partner ${secrets.partner_id} (signs our postbacks to the partner)`} value=${secrets.postback_secret} />` : null}
    <button type="button" class="secondary" aria-label=${`I have copied them: partner ${secrets.partner_id}`} onClick=${() => onClose(n)}>I have copied them</button>
  </article>`,
  );
}

export function PartnersScreen() {
  const canChange = useCanChange();
  const list = useLoad(() => everything(admin, '/partners'), []);
  const tiers = useLoad(() => everything(admin, '/tiers'), []);
  const [name, setName] = useState('');
  const [currency, setCurrency] = useState('');
  const [shown, setShown] = useState([]);
  const show = (secrets) => setShown((all) => [{ n: (all.length ? all[0].n : 0) + 1, secrets }, ...all]);
  const action = useAction();
  const create = (e) => {
    e.preventDefault();
    action.run(() =>
      admin('POST', '/partners', { body: { name, currency } }).then((created) => {
        setName('');
        setCurrency('');
        show(created);
        list.reload();
      }),
    );
  };
  const rotate = (p) =>
    action.run(() =>
      admin('POST', `/partners/${p.partner_id}/api-key`).then((rotated) => {
        show(rotated);
        list.reload();
      }),
    );
  const tierName = Object.fromEntries((tiers.data || []).map((t) => [t.tier_id, t.name]));
  return html`<${Page} title="Partners">
    <${ShownOnce} shown=${shown} onClose=${(n) => setShown((all) => all.filter((s) => s.n !== n))} />
    <${Loaded} state=${list} what="partners">${(
      items,
    ) => html`<${ListTable} id="partners" what="partners" caption="Partners (affiliates) of the network" rows=${items} rowKey=${(p) => p.partner_id}
      searchText=${(p) => `${p.partner_id} ${p.name}`}
      columns=${[
        ['ID', (p) => p.partner_id, { sort: (p) => p.partner_id }],
        ['Name', (p) => p.name, { sort: (p) => p.name }],
        ['Status', (p) => p.status, { sort: (p) => p.status }],
        ['Tier', (p) => tierName[p.tier_id] || 'default', { sort: (p) => tierName[p.tier_id] || '' }],
        ['Paid in', (p) => p.currency || "each offer's currency"],
        [
          '',
          (p) => html`<span class="actions">${
            canChange
              ? html`<${StatusButton} kind="partners" id=${p.partner_id} doc=${p} off="blocked" onSaved=${list.reload} />
          <button type="button" class="secondary outline" aria-label=${`New API key for ${p.name}`} onClick=${() => rotate(p)}>New API key</button>`
              : null
          }
          <a href=${`#/history/partner/${p.partner_id}`}>History</a></span>`,
        ],
      ]} />`}<//>
    <${ErrorNote} error=${action.error} />
    ${
      canChange
        ? html`<form onSubmit=${create} aria-labelledby="new-partner"><h2 id="new-partner">New partner</h2>
      <div class="actions"><label for="partner-name" style="flex:1">Name <input id="partner-name" required value=${name} onInput=${(e) => setName(e.target.value)} /></label>
      <${CurrencyInput} id="partner-currency" label="Paid in" blank="each offer's" value=${currency} onInput=${setCurrency} />
      <button type="submit" aria-busy=${action.busy}>Create partner</button></div></form>`
        : null
    }
  <//>`;
}
