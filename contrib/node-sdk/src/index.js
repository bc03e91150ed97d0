'use strict';

const { PulseClient } = require('./client');
const errors = require('./errors');
const { Subscription } = require('./subscription');

module.exports = {
  PulseClient,
  Subscription,
  PulseError: errors.PulseError,
  PulseConnectionError: errors.PulseConnectionError,
  PulseAPIError: errors.PulseAPIError,
  BadRequestError: errors.BadRequestError,
  AuthenticationError: errors.AuthenticationError,
  PermissionDeniedError: errors.PermissionDeniedError,
  NotFoundError: errors.NotFoundError,
  ConflictError: errors.ConflictError,
  RateLimitedError: errors.RateLimitedError,
};
