import type { AdapterHealth } from './conversation/port.js';
import type { Platform } from './platform.js';

/** What /healthz answers. */
export interface HealthReport {
  status: 'ok' | 'starting' | 'degraded' | 'stopping';
  platforms: Partial<Record<Platform, AdapterHealth>>;
}

/** Healthy only when start-up is done and every configured platform is ready. */
export function healthReport(options: {
  started: boolean;
  stopping: boolean;
  platforms: Partial<Record<Platform, AdapterHealth>>;
}): { httpStatus: number; report: HealthReport } {
  const states = Object.values(options.platforms);
  let status: HealthReport['status'] = 'ok';
  if (options.stopping) status = 'stopping';
  else if (!options.started || states.includes('starting')) status = 'starting';
  else if (states.includes('down')) status = 'degraded';
  return { httpStatus: status === 'ok' ? 200 : 503, report: { status, platforms: options.platforms } };
}
