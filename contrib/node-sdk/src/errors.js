'use strict';
/**
 * What the client throws: one base class, and the API's refusals by HTTP status. Every
 * refusal's `message` is the API's own (`apiMessage`), its status, and where the status alone
 * tells what to do about it, a hint, so printing the error tells the user what to fix.
 */

class PulseError extends Error {
  get name() { return this.constructor.name; }
}

/** Pulse could not be reached, or the connection broke before an answer. */
class PulseConnectionError extends PulseError {}

/**
 * Pulse answered with an error status: `apiMessage` is the API's message, `body` the whole
 * JSON error (its `errors` list names each invalid field), `retryAfterS` the wait asked for.
 */
class PulseAPIError extends PulseError {
  constructor(status, apiMessage, body, retryAfterS = null) {
    super(`${apiMessage} (HTTP ${status})`);
    this.status = status;
    this.apiMessage = apiMessage;
    this.body = body;
    this.retryAfterS = retryAfterS;
    const hint = this.hint();
    if (hint) this.message += `: ${hint}`;
  }

  /** What to do about a refusal of this kind, when the status alone tells. */
  hint() { return null; }
}

class BadRequestError extends PulseAPIError {}
class AuthenticationError extends PulseAPIError {
  hint() { return 'check the username and password, or the apiKey, given to the client'; }
}
class PermissionDeniedError extends PulseAPIError {
  hint() { return 'sign in as a user, or with an API key, of the role the message names'; }
}
class NotFoundError extends PulseAPIError {
  hint() { return 'check the id: getLiveStatus() lists every endpoint with its id'; }
}
class ConflictError extends PulseAPIError {}
class RateLimitedError extends PulseAPIError {
  hint() {
    const wait = this.retryAfterS === null ? 'a while' : `${this.retryAfterS} s`;
    return `wait ${wait} (retryAfterS) before trying again`;
  }
}

const BY_STATUS = new Map([
  [400, BadRequestError],
  [401, AuthenticationError],
  [403, PermissionDeniedError],
  [404, NotFoundError],
  [409, ConflictError],
  [429, RateLimitedError],
]);

/** The error for an error response (its body is read here). */
async function apiError(response) {
  const text = await response.text();
  let body = {};
  try {
    const parsed = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed;
  } catch {
    // not JSON: a proxy's error page, say
  }
  const message = body.message || `HTTP ${response.status} ${response.statusText}`;
  const retryAfter = Number.parseFloat(response.headers.get('retry-after'));
  const ErrorClass = BY_STATUS.get(response.status) || PulseAPIError;
  return new ErrorClass(response.status, String(message), body,
    Number.isFinite(retryAfter) ? retryAfter : null);
}

module.exports = {
  PulseError,
  PulseConnectionError,
  PulseAPIError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitedError,
  apiError,
};
