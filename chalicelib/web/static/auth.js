// Officer sign-in with Amazon Cognito (the moto server locally), straight from the browser:
// InitiateAuth USER_PASSWORD_AUTH on the user pool's public app client (no secret).
//
// Tokens live in sessionStorage (this tab only; gone when it closes), never in a URL
// or a cookie. The ID token goes to the API as a Bearer header; the API verifies it.

import { config } from "./common.js";

const KEY = "crm.session";
const REFRESH_MARGIN_SECONDS = 120;

export class AuthError extends Error {
  constructor(type, message) {
    super(message || type);
    this.type = type; // Cognito's __type, e.g. NotAuthorizedException; "network"; "unconfigured"
  }
}

async function cognito(action, body) {
  if (!config.client_id || !config.cognito_endpoint) throw new AuthError("unconfigured");
  let response;
  try {
    response = await fetch(config.cognito_endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch (_) {
    throw new AuthError("network");
  }
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(payload.__type || payload.code || "Error").split("#").pop();
    throw new AuthError(type, payload.message || payload.Message);
  }
  return payload;
}

function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(Array.from(atob(part), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join(""));
    return JSON.parse(json);
  } catch (_) {
    return {};
  }
}

function store(result, email, previous) {
  const session = {
    email,
    idToken: result.IdToken,
    refreshToken: result.RefreshToken || (previous && previous.refreshToken),
    expiresAt: claims(result.IdToken).exp || Math.floor(Date.now() / 1000) + (result.ExpiresIn || 3600),
  };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function current() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch (_) {
    return null;
  }
}

// -> {done: true} or {challenge: "NEW_PASSWORD_REQUIRED", session}
export async function signIn(email, password) {
  const answer = await cognito("InitiateAuth", {
    AuthFlow: "USER_PASSWORD_AUTH",
    ClientId: config.client_id,
    AuthParameters: { USERNAME: email, PASSWORD: password },
  });
  if (answer.AuthenticationResult) {
    store(answer.AuthenticationResult, email);
    return { done: true };
  }
  if (answer.ChallengeName === "NEW_PASSWORD_REQUIRED") return { challenge: answer.ChallengeName, session: answer.Session };
  throw new AuthError("UnsupportedChallenge", answer.ChallengeName);
}

export async function setNewPassword(email, challengeSession, newPassword) {
  const answer = await cognito("RespondToAuthChallenge", {
    ChallengeName: "NEW_PASSWORD_REQUIRED",
    ClientId: config.client_id,
    Session: challengeSession,
    ChallengeResponses: { USERNAME: email, NEW_PASSWORD: newPassword },
  });
  if (!answer.AuthenticationResult) throw new AuthError("UnsupportedChallenge", answer.ChallengeName);
  store(answer.AuthenticationResult, email);
}

// A valid ID token, refreshed shortly before it expires; null when signed out.
export async function idToken() {
  const session = current();
  if (!session) return null;
  const now = Math.floor(Date.now() / 1000);
  if (session.expiresAt - REFRESH_MARGIN_SECONDS > now) return session.idToken;
  if (!session.refreshToken) return null;
  try {
    const answer = await cognito("InitiateAuth", {
      AuthFlow: "REFRESH_TOKEN_AUTH",
      ClientId: config.client_id,
      AuthParameters: { REFRESH_TOKEN: session.refreshToken },
    });
    return store(answer.AuthenticationResult, session.email, session).idToken;
  } catch (error) {
    if (error.type === "network") throw error;
    signOut();
    return null;
  }
}

export function signOut() {
  const session = current();
  sessionStorage.removeItem(KEY);
  if (session && session.refreshToken && config.client_id) {
    // Revoke the refresh token too; nothing to wait for.
    cognito("RevokeToken", { ClientId: config.client_id, Token: session.refreshToken }).catch(() => {});
  }
}
