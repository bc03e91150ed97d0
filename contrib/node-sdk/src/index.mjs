// The ES module face of thingconnect-pulse-sdk: the same classes as require() gives, so
// `import { PulseClient } from 'thingconnect-pulse-sdk'` and require() share one
// implementation (and `instanceof` works across both).
import sdk from './index.js';

export const {
  PulseClient,
  Subscription,
  PulseError,
  PulseConnectionError,
  PulseAPIError,
  BadRequestError,
  AuthenticationError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitedError,
} = sdk;
export default sdk;
