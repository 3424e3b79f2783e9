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

/** `make run` prints a URL whose fragment carries a refresh token (fragments never reach a
 * server): trade it for an access token, keep both, drop the fragment. */
export async function takeTokensFromUrl() {
  const match = location.hash.match(/^#signed-in=([A-Za-z0-9_.-]+)/);
  if (!match) return;
  history.replaceState(null, '', location.pathname + '#/');
  sessionStorage.setItem(STAFF, JSON.stringify({ refresh: match[1] }));
  await refreshStaff();
}

async function cognito(action, body) {
  const { cognitoEndpoint } = await loadConfig();
  if (!cognitoEndpoint) throw new Error('This console has no sign-in configured.');
  const response = await fetch(cognitoEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${action}` },
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
    AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  return finish(answer, username);
}

export async function answerChallenge(challenge, session, username, response) {
  const { clientId } = await loadConfig();
  const responses = { USERNAME: username };
  if (challenge === 'NEW_PASSWORD_REQUIRED') responses.NEW_PASSWORD = response;
  else responses.SOFTWARE_TOKEN_MFA_CODE = response;
  const answer = await cognito('RespondToAuthChallenge', {
    ChallengeName: challenge, ClientId: clientId, Session: session, ChallengeResponses: responses,
  });
  return finish(answer, username);
}

function finish(answer, username) {
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
      AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: current.refresh },
    });
    keep({ access: answer.AuthenticationResult.AccessToken, refresh: current.refresh });
    return true;
  } catch (error) {
    sessionStorage.removeItem(STAFF);
    return false;
  }
}

export function signOutStaff() {
  sessionStorage.removeItem(STAFF);
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
