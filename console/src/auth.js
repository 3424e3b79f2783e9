// Who is signed in: a console user (Cognito access token) or a partner (its API key).
// Kept in sessionStorage: closing the tab signs out; nothing is stored for longer.

const STAFF = 'goalpost.console';
const PARTNER = 'goalpost.partner';
let config = null;

export async function loadConfig() {
  if (!config) config = await (await fetch('/console/config.json', { cache: 'no-store' })).json();
  return config;
}

function claimsOf(token) {
  const part = token.split('.')[1] || '';
  return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
}

export function staffSession() {
  const raw = sessionStorage.getItem(STAFF);
  return raw ? JSON.parse(raw) : null;
}

function keep(tokens) {
  const claims = claimsOf(tokens.access);
  const groups = claims['cognito:groups'] || [];
  const session = { ...tokens, username: claims.username, groups, expires: claims.exp };
  sessionStorage.setItem(STAFF, JSON.stringify(session));
  return session;
}

/** `make run` prints a URL whose fragment carries a one-time code (fragments never reach a
 * server; the local runtime only): trade it once for tokens, keep them, drop the fragment. */
export async function takeTokensFromUrl() {
  const match = location.hash.match(/^#signed-in=([A-Za-z0-9_-]+)/);
  if (!match) return;
  history.replaceState(null, '', location.pathname + '#/');
  const response = await fetch('/__local/sign-in-code', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: match[1] }),
  });
  if (response.ok) keep(await response.json());
}

async function cognito(action, body) {
  const { cognitoEndpoint } = await loadConfig();
  if (!cognitoEndpoint) throw new Error('This console has no sign-in configured.');
  const response = await fetch(cognitoEndpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityProviderService.${action}`,
    },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    const reason = answer.message || answer.__type || `sign-in failed (${response.status})`;
    throw new Error(/NotAuthorized|UserNotFound/.test(answer.__type || '') ? 'Wrong user name or password.' : reason);
  }
  return answer;
}

/** Password sign-in; returns { challenge, session } when Cognito asks for more (new password, MFA code). */
export async function signIn(username, password) {
  const { clientId } = await loadConfig();
  const answer = await cognito('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: clientId,
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return finish(answer, username);
}

export async function answerChallenge(challenge, session, username, response) {
  const { clientId } = await loadConfig();
  const responses = { USERNAME: username };
  if (challenge === 'NEW_PASSWORD_REQUIRED') responses.NEW_PASSWORD = response;
  else if (challenge === 'MFA_SETUP') {
    // the first sign-in where MFA is required: the app's first code proves the key was taken
    const verified = await cognito('VerifySoftwareToken', {
      Session: session,
      UserCode: response,
      FriendlyDeviceName: 'Goalpost console',
    });
    session = verified.Session;
  } else responses.SOFTWARE_TOKEN_MFA_CODE = response;
  const answer = await cognito('RespondToAuthChallenge', {
    ChallengeName: challenge,
    ClientId: clientId,
    Session: session,
    ChallengeResponses: responses,
  });
  return finish(answer, username);
}

async function finish(answer, username) {
  if (answer.ChallengeName === 'MFA_SETUP') {
    const made = await cognito('AssociateSoftwareToken', { Session: answer.Session });
    return { challenge: 'MFA_SETUP', session: made.Session, secret: made.SecretCode };
  }
  if (answer.ChallengeName) return { challenge: answer.ChallengeName, session: answer.Session };
  const result = answer.AuthenticationResult;
  return { signedIn: keep({ access: result.AccessToken, refresh: result.RefreshToken, username }) };
}

/** A fresh access token from the refresh token (once per 401); false when the user must sign in. */
export async function refreshStaff() {
  const current = staffSession();
  if (!current || !current.refresh) return false;
  try {
    const { clientId } = await loadConfig();
    const answer = await cognito('InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: clientId,
      AuthParameters: { REFRESH_TOKEN: current.refresh },
    });
    keep({ access: answer.AuthenticationResult.AccessToken, refresh: current.refresh });
    return true;
  } catch {
    sessionStorage.removeItem(STAFF);
    return false;
  }
}

/** Sign-out revokes the refresh token at Cognito (and with it the access tokens it issued), so a
 * copy of either stops working; the tab forgets both whatever Cognito answers. */
export async function signOutStaff() {
  const current = staffSession();
  sessionStorage.removeItem(STAFF);
  if (!current || !current.refresh) return;
  const { clientId } = await loadConfig();
  await cognito('RevokeToken', { Token: current.refresh, ClientId: clientId }).catch(() => null);
}

export function partnerKey() {
  return sessionStorage.getItem(PARTNER);
}

export function keepPartnerKey(key) {
  if (key) sessionStorage.setItem(PARTNER, key);
  else sessionStorage.removeItem(PARTNER);
}

export function canChange(session) {
  return Boolean(session && (session.groups || []).includes('ConsoleAdmins'));
}
