/**
 * Hosts on one machine for the multi-host tests and benchmark: each a network namespace with
 * its own address on a bridge (veth pairs, `ip netns`, as root), or, where namespaces are
 * refused (no root, no `ip`), processes on loopback. Either way a rank is started through
 * `spawnArgs`, and `masterAddr` is host 0's address.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export interface SimulatedHosts {
  readonly kind: 'netns' | 'loopback';
  /** Each host's address; rank 0's is MASTER_ADDR. */
  readonly addresses: readonly string[];
  /** The program and arguments that run `argv` on host `i`. */
  spawnArgs(i: number, argv: readonly string[]): [string, string[]];
  /** Removes the namespaces and the bridge (nothing for loopback). */
  teardown(): void;
}

function ip(args: string[]): boolean {
  return spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
}

/** `count` namespaces on a bridge, subnet 10.77.<tag>.0/24; null when any step is refused. */
function namespaces(count: number, tag: number): SimulatedHosts | null {
  const bridge = `weftbr${tag}`;
  const names = Array.from({ length: count }, (_, i) => `weft-${tag}-${i}`);
  const teardown = () => {
    for (const n of names) ip(['netns', 'del', n]);
    ip(['link', 'del', bridge]);
  };
  teardown();
  const ok = ip(['link', 'add', bridge, 'type', 'bridge']) && ip(['link', 'set', bridge, 'up']) && names.every((n, i) => {
    const veth = `veth${tag}-${i}`;
    return ip(['netns', 'add', n]) && ip(['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n]) &&
      ip(['link', 'set', veth, 'master', bridge, 'up']) && ip(['-n', n, 'addr', 'add', `10.77.${tag}.${10 + i}/24`, 'dev', 'eth0']) &&
      ip(['-n', n, 'link', 'set', 'eth0', 'up']) && ip(['-n', n, 'link', 'set', 'lo', 'up']);
  });
  if (!ok) {
    teardown();
    return null;
  }
  return {
    kind: 'netns',
    addresses: names.map((_, i) => `10.77.${tag}.${10 + i}`),
    spawnArgs: (i, argv) => ['ip', ['netns', 'exec', names[i] as string, ...argv]],
    teardown,
  };
}

/** Namespaces where the machine allows them (`kind` 'loopback' or WEFT_HOSTS=loopback: processes on loopback). */
export function simulatedHosts(count: number, kind: 'netns' | 'loopback' = process.env.WEFT_HOSTS === 'loopback' ? 'loopback' : 'netns'): SimulatedHosts {
  const tag = 100 + (process.pid % 150);
  const netns = kind === 'loopback' ? null : namespaces(count, tag);
  return netns ?? {
    kind: 'loopback',
    addresses: Array.from({ length: count }, () => '127.0.0.1'),
    spawnArgs: (_, argv) => [argv[0] as string, argv.slice(1) as string[]],
    teardown: () => {},
  };
}

/** A free TCP port (asked of the kernel, then released): a MASTER_PORT for one run. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
