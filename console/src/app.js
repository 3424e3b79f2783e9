// The Goalpost console: the network's admin screens and the partner portal, one page whose
// screens are #/... fragments. Preact + htm (no build step), styled by Pico.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { signedOut } from './api.js';
import {
  answerChallenge,
  canChange,
  keepPartnerKey,
  loadConfig,
  partnerKey,
  signIn,
  signOutStaff,
  staffSession,
  takeTokensFromUrl,
} from './auth.js';
import { FunnelScreen, PendingScreen, PostbacksScreen, ReviewScreen } from './activity.js';
import { AccessQueueScreen, OfferAccessScreen } from './access.js';
import { DashboardScreen } from './dashboard.js';
import { DeliveriesScreen } from './deliveries.js';
import {
  GoalFormScreen,
  GoalScreen,
  GoalsScreen,
  OfferScreen,
  OffersScreen,
  PartnerPayoutsScreen,
  TrackingLinksScreen,
} from './offers.js';
import { AdvertisersScreen, PartnersScreen } from './people.js';
import { RatesScreen } from './rates.js';
import { TraceScreen, TraceSearchScreen } from './trace.js';
import { StructuresScreen } from './structures.js';
import {
  PartnerSignIn,
  PortalConversions,
  PortalOffer,
  PortalOffers,
  PortalStats,
  PortalTrace,
  PortalTraceSearchScreen,
} from './portal.js';
import { ConversionScreen, ConversionsScreen, HistoryScreen, NetworkScreen, StatsScreen } from './reports.js';
import { CanChange, ErrorNote, html, useAction } from './ui.js';

function useHash() {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const changed = () => setHash(location.hash || '#/');
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

/** [pattern, screen(params, query)]: the first match wins (what the user may change: CanChange). */
const STAFF_ROUTES = [
  [/^#\/(?:dashboard)?$/, () => html`<${DashboardScreen} />`],
  [/^#\/offers$/, () => html`<${OffersScreen} />`],
  [/^#\/offers\/(\d+)$/, ([id]) => html`<${OfferScreen} key=${id} offerId=${id} />`],
  [/^#\/offers\/(\d+)\/goals$/, ([id]) => html`<${GoalsScreen} offerId=${id} />`],
  [/^#\/offers\/(\d+)\/goals\/new$/, ([id]) => html`<${GoalFormScreen} offerId=${id} />`],
  [/^#\/offers\/(\d+)\/goals\/(\d+)$/, ([id, goal]) => html`<${GoalScreen} offerId=${id} goalId=${goal} />`],
  [/^#\/offers\/(\d+)\/goals\/(\d+)\/edit$/, ([id, goal]) => html`<${GoalFormScreen} offerId=${id} goalId=${goal} />`],
  [
    /^#\/offers\/(\d+)\/payouts$/,
    ([id], q) => html`<${PartnerPayoutsScreen} offerId=${id} goalFilter=${q.get('goal') || ''} />`,
  ],
  [/^#\/offers\/(\d+)\/links$/, ([id]) => html`<${TrackingLinksScreen} offerId=${id} />`],
  [/^#\/offers\/(\d+)\/access$/, ([id]) => html`<${OfferAccessScreen} offerId=${id} />`],
  [/^#\/access$/, () => html`<${AccessQueueScreen} />`],
  [/^#\/offers\/(\d+)\/postbacks$/, ([id]) => html`<${PostbacksScreen} offerId=${id} />`],
  [/^#\/offers\/(\d+)\/pending$/, ([id]) => html`<${PendingScreen} offerId=${id} />`],
  [/^#\/review$/, () => html`<${ReviewScreen} />`],
  [/^#\/offers\/(\d+)\/funnel$/, ([id]) => html`<${FunnelScreen} offerId=${id} />`],
  [/^#\/advertisers$/, () => html`<${AdvertisersScreen} />`],
  [/^#\/partners$/, () => html`<${PartnersScreen} />`],
  [/^#\/conversions$/, () => html`<${ConversionsScreen} />`],
  [/^#\/conversions\/([0-9a-f-]+)$/, ([id]) => html`<${ConversionScreen} conversionId=${id} />`],
  [
    /^#\/trace$/,
    (_, q) =>
      q.get('conversion_id')
        ? html`<${TraceScreen} conversionId=${q.get('conversion_id')} />`
        : html`<${TraceSearchScreen} />`,
  ],
  [/^#\/trace\/([0-9a-fA-F_-]+)$/, ([id]) => html`<${TraceScreen} key=${id} transactionId=${id} />`],
  [/^#\/stats$/, () => html`<${StatsScreen} />`],
  [/^#\/deliveries$/, () => html`<${DeliveriesScreen} />`],
  [/^#\/network$/, () => html`<${NetworkScreen} />`],
  [/^#\/rates$/, () => html`<${RatesScreen} />`],
  [/^#\/payout-structures$/, () => html`<${StructuresScreen} />`],
  [
    /^#\/history\/([a-z_]+)\/([0-9a-z#/-]+)$/,
    ([kind, subject]) => html`<${HistoryScreen} kind=${kind} subject=${subject} />`,
  ],
];

const PORTAL_ROUTES = [
  [/^#\/portal(?:\/offers)?$/, () => html`<${PortalOffers} />`],
  [/^#\/portal\/offers\/(\d+)$/, ([id]) => html`<${PortalOffer} offerId=${id} />`],
  [/^#\/portal\/stats$/, () => html`<${PortalStats} />`],
  [/^#\/portal\/conversions$/, () => html`<${PortalConversions} />`],
  [/^#\/portal\/trace$/, () => html`<${PortalTraceSearchScreen} />`],
  [/^#\/portal\/trace\/([0-9a-fA-F_-]+)$/, ([id]) => html`<${PortalTrace} key=${id} transactionId=${id} />`],
];

function route(routes, hash) {
  const [path, search = ''] = hash.split('?');
  for (const [pattern, screen] of routes) {
    const match = path.match(pattern);
    if (match) return screen(match.slice(1), new URLSearchParams(search));
  }
  return html`<section><h1 tabindex="-1">Not found</h1><p>No screen at <code>${hash}</code>. <a href="#/">Dashboard</a></p></section>`;
}

function Header({ links, current, who, onSignOut, label }) {
  const active = (href) => current === href || (href !== '#/' && current.startsWith(href + '/'));
  // on a phone the links fold behind a Menu button (CSS shows it under 768 px); a choice closes it
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [current]);
  return html`<header class="app-header container"><nav aria-label=${label} class=${open ? 'menu-open' : ''}>
    <ul><li><a href=${links[0][0]}><strong>Goalpost</strong></a></li>
      <li class="menu-button"><button type="button" class="secondary outline" aria-expanded=${open ? 'true' : 'false'} aria-controls="nav-links"
        onClick=${() => setOpen(!open)}>Menu</button></li></ul>
    <ul id="nav-links" class="nav-links">
      ${links.map(([href, text]) => html`<li><a href=${href} aria-current=${active(href) ? 'page' : undefined}>${text}</a></li>`)}
      <li><span class="muted">${who}</span></li>
      <li><button type="button" class="secondary outline" onClick=${onSignOut}>Sign out</button></li>
    </ul>
  </nav></header>`;
}

const STAFF_LINKS = [
  ['#/dashboard', 'Dashboard'],
  ['#/offers', 'Offers'],
  ['#/advertisers', 'Advertisers'],
  ['#/partners', 'Partners'],
  ['#/access', 'Applications'],
  ['#/conversions', 'Conversions'],
  ['#/review', 'Review'],
  ['#/trace', 'Trace'],
  ['#/stats', 'Stats'],
  ['#/deliveries', 'Deliveries'],
  ['#/payout-structures', 'Payout structures'],
  ['#/rates', 'Rates'],
  ['#/network', 'Network'],
];
const PORTAL_LINKS = [
  ['#/portal/offers', 'My offers'],
  ['#/portal/stats', 'My stats'],
  ['#/portal/conversions', 'My conversions'],
  ['#/portal/trace', 'Trace'],
];

function StaffSignIn({ onSignedIn }) {
  const [form, setForm] = useState({ username: '', password: '', answer: '' });
  const [challenge, setChallenge] = useState(null);
  const action = useAction();
  const submit = (e) => {
    e.preventDefault();
    action.run(async () => {
      const result = challenge
        ? await answerChallenge(challenge.challenge, challenge.session, form.username, form.answer)
        : await signIn(form.username, form.password);
      if (result.challenge) {
        setChallenge(result);
        setForm({ ...form, answer: '' });
      } else onSignedIn();
    });
  };
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  return html`<form onSubmit=${submit} aria-labelledby="staff-sign-in">
    <h2 id="staff-sign-in">Network staff sign-in</h2>
    ${
      challenge && challenge.secret
        ? html`<p id="mfa-setup">This network requires an authenticator app. Add this key to yours (TOTP, 6 digits, 30 s), then enter its first code:
        <code id="mfa-secret">${challenge.secret}</code></p>`
        : null
    }
    ${
      challenge
        ? html`<label for="challenge">${challenge.challenge === 'NEW_PASSWORD_REQUIRED' ? 'Choose a new password' : 'Code from your authenticator app'}
        <input id="challenge" type=${challenge.challenge === 'NEW_PASSWORD_REQUIRED' ? 'password' : 'text'} autocomplete=${challenge.challenge === 'NEW_PASSWORD_REQUIRED' ? 'new-password' : 'one-time-code'} required value=${form.answer} onInput=${set('answer')} /></label>`
        : html`<label for="username">User name <input id="username" autocomplete="username" required value=${form.username} onInput=${set('username')} /></label>
        <label for="password">Password <input id="password" type="password" autocomplete="current-password" required value=${form.password} onInput=${set('password')} /></label>`
    }
    <${ErrorNote} error=${action.error} />
    <button type="submit" aria-busy=${action.busy}>${challenge ? 'Continue' : 'Sign in'}</button>
  </form>`;
}

function SignInPage({ onSignedIn }) {
  const [config, setConfig] = useState(null);
  useEffect(() => {
    loadConfig().then(setConfig, () => setConfig({}));
  }, []);
  return html`<main class="container" id="main">
    <h1 tabindex="-1">Goalpost</h1>
    <div class="grid">
      <article>${
        config && !config.clientId
          ? html`<p>Staff sign-in is not configured here.</p>`
          : html`<${StaffSignIn} onSignedIn=${() => {
              location.hash = '#/';
              onSignedIn();
            }} />`
      }</article>
      <article><${PartnerSignIn} onSignedIn=${() => {
        location.hash = '#/portal';
        onSignedIn();
      }} /></article>
    </div>
  </main>`;
}

function App() {
  const hash = useHash();
  const [, refresh] = useState(0);
  const rerender = () => refresh((n) => n + 1);
  useEffect(() => {
    const out = () => rerender();
    signedOut.addEventListener('signed-out', out);
    return () => signedOut.removeEventListener('signed-out', out);
  }, []);
  const staff = staffSession();
  const inPortal = hash.startsWith('#/portal');
  if (inPortal && partnerKey()) {
    return html`<a class="skip-link" href="#main" onClick=${(e) => {
      e.preventDefault();
      document.querySelector('main h1')?.focus();
    }}>Skip to content</a>
      <${Header} label="Partner portal" links=${PORTAL_LINKS} current=${hash} who="Partner" onSignOut=${() => {
        keepPartnerKey(null);
        location.hash = '#/';
        rerender();
      }} />
      <main class="container" id="main">${route(PORTAL_ROUTES, hash)}</main>`;
  }
  if (!inPortal && staff) {
    const who = `${staff.username}${canChange(staff) ? '' : ' (read only)'}`;
    return html`<a class="skip-link" href="#main" onClick=${(e) => {
      e.preventDefault();
      document.querySelector('main h1')?.focus();
    }}>Skip to content</a>
      <${Header} label="Console" links=${STAFF_LINKS} current=${hash === '#/' ? '#/dashboard' : hash.split('?')[0]} who=${who} onSignOut=${() => {
        signOutStaff().finally(rerender);
      }} />
      <${CanChange.Provider} value=${canChange(staff)}>
        <main class="container" id="main">${route(STAFF_ROUTES, hash)}</main>
      <//>`;
  }
  return html`<${SignInPage} onSignedIn=${rerender} />`;
}

takeTokensFromUrl().finally(() => render(html`<${App} />`, document.getElementById('app')));
