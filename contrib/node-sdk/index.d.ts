// Types of the thingconnect-pulse-sdk package (Node.js SDK for ThingConnect Pulse), for
// require() and import alike. Answers are the API's JSON as docs/api.md describes it; the
// shapes used most are spelled out here.

export type Instant = string | Date;

export interface PulseClientOptions {
  baseUrl: string;
  username?: string;
  password?: string;
  apiKey?: string;
  /** how long to wait for an answer's headers (default 30000) */
  timeoutMs?: number;
  /** https: the PEM certificate(s) of the CA that signed Pulse's certificate */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** https: false checks no certificate at all (emits an InsecureTLSWarning); default true */
  rejectUnauthorized?: boolean;
}

export interface Group {
  id: string;
  name: string;
  parentId: string | null;
  color: string | null;
  sortOrder: number;
}

export interface Endpoint {
  id: string;
  name: string;
  group: Group;
  type: string;
  host: string;
  port: number | null;
  address: string;
  intervalSeconds: number;
  timeoutMs: number;
  retries: number;
  failureThreshold: number;
  successThreshold: number;
  expectedRttMs: number | null;
  enabled: boolean;
  notes: string | null;
  [key: string]: unknown;
}

export interface LiveStatusItem {
  endpoint: Endpoint;
  status: 'up' | 'down' | 'flapping';
  rttMs: number | null;
  lastChangeTs: string | null;
  sparkline: { ts: string; s: 'u' | 'd' }[];
}

export interface WrittenEndpoint extends Endpoint {
  configVersionId: number | null;
  warnings: string[];
}

export interface ApplyResult {
  configVersionId: number | null;
  changed: boolean;
  dryRun: boolean;
  added: { id: string; name: string; type: string; address: string }[];
  updated: { id: string; name: string; type: string; address: string }[];
  removed: { id: string; name: string; type: string; address: string }[];
  warnings: string[];
}

export type PushStatus = 'online' | 'offline' | 'unknown';

export interface StatusChange {
  endpointId: string;
  status: PushStatus;
  previousStatus: PushStatus;
  /** the check's round-trip time in ms; null when it failed */
  responseTime: number | null;
  timestamp: string;
}

export class Subscription {
  /** resolves once the stream is open and its first snapshot read */
  readonly connected: Promise<void>;
  /** resolves when the subscription has ended (closed, or refused for good) */
  readonly closed: Promise<void>;
  readonly running: boolean;
  /** every endpoint's latest status as this subscription knows it */
  readonly statuses: Record<string, PushStatus>;
  close(): Promise<void>;
}

export class PulseClient {
  constructor(options: PulseClientOptions);
  readonly baseUrl: string;
  getLiveStatus(options?: { group?: string; search?: string }): Promise<LiveStatusItem[]>;
  getEndpoint(endpointId: string, options?: { windowMinutes?: number }): Promise<Record<string, unknown>>;
  getEndpointHistory(
    endpointId: string,
    options?: { startTime?: Instant; endTime?: Instant; bucket?: 'raw' | '15m' | 'daily' },
  ): Promise<Record<string, unknown>>;
  exportHistory(
    path: string,
    options: {
      startTime: Instant; endTime: Instant; format?: 'csv' | 'json';
      bucket?: 'raw' | '15m' | 'daily'; endpointId?: string; group?: string;
    },
  ): Promise<number>;
  createEndpoint(endpoint: Record<string, unknown>): Promise<WrittenEndpoint>;
  updateEndpoint(endpointId: string, changes: Record<string, unknown>): Promise<WrittenEndpoint>;
  deleteEndpoint(endpointId: string): Promise<ApplyResult>;
  applyConfiguration(yaml: string, options?: { dryRun?: boolean; note?: string }): Promise<ApplyResult>;
  onStatusChange(
    callback: (change: StatusChange) => void,
    options?: { group?: string; endpointId?: string; onError?: (error: Error) => void },
  ): Subscription;
}

export class PulseError extends Error {}
export class PulseConnectionError extends PulseError {}
export class PulseAPIError extends PulseError {
  /** the API's own message; `message` adds the status and, where it tells, what to do */
  readonly apiMessage: string;
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly retryAfterS: number | null;
}
export class BadRequestError extends PulseAPIError {}
export class AuthenticationError extends PulseAPIError {}
export class PermissionDeniedError extends PulseAPIError {}
export class NotFoundError extends PulseAPIError {}
export class ConflictError extends PulseAPIError {}
export class RateLimitedError extends PulseAPIError {}
