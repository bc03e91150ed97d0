'use strict';
/**
 * What the client throws: one base class, and the API's refusals by HTTP status. Every
 * refusal carries the API's own `message`, so printing the error tells the user what to fix.
 */

class PulseError extends Error {
  get name() { return this.constructor.name; }
}

/** Pulse could not be reached, or the connection broke before an answer. */
class PulseConnectionError extends PulseError {}

/**
 * Pulse answered with an error status: `message` is the API's message, `body` the whole JSON
 * error (its `errors` list names each invalid field), `retryAfterS` the wait asked for.
 */
class PulseAPIError extends PulseError {
  constructor(status, message, body, retryAfterS = null) {
    super(message);
    this.status = status;
    this.body = body;
    this.retryAfterS = retryAfterS;
  }
}

class BadRequestError extends PulseAPIError {}
class AuthenticationError extends PulseAPIError {}
class PermissionDeniedError extends PulseAPIError {}
class NotFoundError extends PulseAPIError {}
class ConflictError extends PulseAPIError {}
class RateLimitedError extends PulseAPIError {}

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
