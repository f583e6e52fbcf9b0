import { connect, type Socket } from 'node:net';
import { HostGroupError } from './errors.js';
import type { Registration } from './store-server.js';

/** How often a rank's control line sends a heartbeat to rank 0's store. */
const HEARTBEAT_MS = 1000;

/**
 * A rank's line to rank 0's rendezvous store (store-server.ts documents the lines): registers,
 * waits until the group has formed, then carries heartbeats and hears which ranks were lost,
 * for as long as the group lives. Unreferenced: it never keeps the process alive.
 */
export class ControlLine {
  /** Ranks the store said were lost, with why. */
  readonly lost = new Map<number, string>();
  private readonly listeners: (() => void)[] = [];
  private heartbeat: NodeJS.Timeout | null = null;

  private constructor(private readonly socket: Socket) {}

  /** Where Gloo should listen: the address rank 0's store saw this rank come from (set when the group forms). */
  address = '127.0.0.1';

  /**
   * Connects (retrying until `timeoutMs`: rank 0 may start later), registers and resolves once
   * every rank has; rejects with the store's reason when the group cannot form.
   */
  static async open(host: string, port: number, registration: Registration, timeoutMs: number): Promise<ControlLine> {
    const deadline = Date.now() + timeoutMs;
    let socket: Socket | null = null;
    let lastError = '';
    while (socket === null) {
      try {
        socket = await dial(host, port, Math.max(1, deadline - Date.now()));
      } catch (err) {
        lastError = (err as Error).message;
        if (Date.now() >= deadline) {
          throw new HostGroupError(`rank ${registration.rank} could not reach the rendezvous store at MASTER_ADDR:MASTER_PORT = ${host}:${port} within ${timeoutMs / 1000} s ` +
            `(${lastError}): is rank 0 running, and are MASTER_ADDR and MASTER_PORT the same on every rank?`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const line = new ControlLine(socket);
    await line.join(registration, Math.max(1, deadline - Date.now()));
    return line;
  }

  private join(registration: Registration, timeoutMs: number): Promise<void> {
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      let text = '';
      let ready = false;
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new HostGroupError(`rank ${registration.rank}: the group did not form within the timeout (the other ranks did not all register with rank 0's store)`));
      }, timeoutMs);
      const fail = (error: HostGroupError) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        let nl = text.indexOf('\n');
        while (nl >= 0) {
          const line = text.slice(0, nl);
          text = text.slice(nl + 1);
          nl = text.indexOf('\n');
          let message: { ready?: boolean; address?: string; error?: string; lost?: number; back?: number; why?: string };
          try {
            message = JSON.parse(line) as typeof message;
          } catch {
            return fail(new HostGroupError(`rank ${registration.rank}: what answers at MASTER_ADDR:MASTER_PORT is not weft's rendezvous store (it replied ${JSON.stringify(line.slice(0, 60))}): ` +
              'is MASTER_PORT another service\'s port?'));
          }
          if (message.error !== undefined) {
            fail(new HostGroupError(message.error));
          } else if (message.ready === true) {
            ready = true;
            clearTimeout(timer);
            if (message.address !== undefined) this.address = message.address;
            this.heartbeat = setInterval(() => socket.write('\n'), HEARTBEAT_MS).unref();
            resolve();
          } else if (message.lost !== undefined) {
            this.note(message.lost, message.why ?? 'lost');
          } else if (message.back !== undefined) {
            this.lost.delete(message.back);
          }
        }
      });
      socket.on('close', () => {
        clearTimeout(timer);
        if (!ready) reject(new HostGroupError(`rank ${registration.rank}: rank 0's rendezvous store closed the connection before the group formed`));
        else if (registration.rank !== 0) this.note(0, 'its rendezvous store closed (rank 0 exited or was killed)');
      });
      socket.write(`${JSON.stringify(registration)}\n`);
    });
  }

  private note(rank: number, why: string): void {
    if (!this.lost.has(rank)) this.lost.set(rank, why);
    for (const f of this.listeners.splice(0)) f();
  }

  /** Resolves when a loss is known, or after `ms`: a failed collective waits this long to name the rank. */
  whenLost(ms: number): Promise<void> {
    if (this.lost.size > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.listeners.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Tells rank 0's store this rank failed (it passes `why` to the others as this rank's loss). */
  report(why: string): void {
    if (!this.socket.destroyed) this.socket.write(`${JSON.stringify({ failed: why })}\n`);
  }

  close(): void {
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.socket.destroy();
  }
}

function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.setNoDelay(true);
      socket.unref();
      socket.removeAllListeners('error');
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new Error('connection timed out'));
    });
    socket.once('error', (err) => reject(err));
  });
}
