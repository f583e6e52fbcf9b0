/**
 * The errors of a group of hosts: one for a configuration or rendezvous that cannot form a
 * group (raised at start, before any training), one for a collective that failed mid-run.
 */

/** A bad or inconsistent configuration, or a rendezvous that failed: names the variable or the ranks. */
export class HostGroupError extends Error {
  override name = 'HostGroupError';
}

/**
 * A collective across hosts failed (a host died, stalled, or its network went): names the rank
 * when it is known. The step it belonged to was not applied anywhere it failed, so each host
 * keeps the weights of the last whole step; resume from the last checkpoint.
 */
export class HostLostError extends Error {
  override name = 'HostLostError';
  constructor(message: string, readonly rank: number | null, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Gloo is not built or not installed on this machine: says how to get it. */
export class GlooUnavailableError extends Error {
  override name = 'GlooUnavailableError';
}
