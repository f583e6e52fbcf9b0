import { createServer, type Server, type Socket } from 'node:net';
import { HostGroupError } from './errors.js';

/**
 * The rendezvous store rank 0 serves on MASTER_ADDR:MASTER_PORT, as PyTorch's TCPStore. Two
 * kinds of connection share the port, told apart by their first byte:
 * - Gloo's, from native/tcp_store.h: binary frames. A request is [op u8][key length u32 BE][key]
 *   [value length u32 BE][value], op 1 SET or 2 GET (answered once the key is set); a reply is
 *   [status u8: 0 ok, 1 error][length u32 BE][value or message].
 * - each rank's control line (control-line.ts): JSON lines. The rank sends one registration
 *   line, then an empty line every second as a heartbeat. The server answers {"ready":true}
 *   once every rank has registered, {"error":...} when the group cannot form (two processes
 *   with one RANK, another WORLD_SIZE, a rank that never came), and {"lost":rank,"why":...}
 *   to the others when a rank's line closes or falls silent — how a failed all-reduce can say
 *   which host went.
 */
export interface Registration {
  readonly rank: number;
  readonly worldSize: number;
  readonly pid: number;
  readonly host: string;
}

const SET = 1;
const GET = 2;
/** Gloo's keys are short and its values a few addresses: anything larger is not Gloo talking. */
const MAX_KEY = 4096;
const MAX_VALUE = 1 << 20;
/** The first byte of a control line's registration ('{'). */
const JSON_START = 0x7b;

function frame(status: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head[0] = status;
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, payload]);
}

export class StoreServer {
  private readonly values = new Map<string, Buffer>();
  private readonly waiting = new Map<string, Socket[]>();
  private readonly ranks = new Map<number, { socket: Socket; registration: Registration; seen: number; stalled: boolean }>();
  /** When the heartbeat check last ran: a late one means this process was blocked, not the ranks. */
  private lastCheck = Date.now();
  private formed = false;
  private failed: string | null = null;
  private readonly timers: NodeJS.Timeout[] = [];

  private constructor(private readonly server: Server, private readonly worldSize: number, private readonly stallMs: number) {}

  /**
   * Listens on `port` (all interfaces, as TCPStore does). Rejects with a named error when the
   * port is taken. `timeoutMs`: how long the group may take to form; `stallMs`: how long a
   * rank's heartbeat may stay silent before the others hear it is lost.
   */
  static listen(port: number, worldSize: number, timeoutMs: number, stallMs: number): Promise<StoreServer> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      const store = new StoreServer(server, worldSize, stallMs);
      server.on('connection', (s) => store.accept(s));
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new HostGroupError(err.code === 'EADDRINUSE'
          ? `MASTER_PORT ${port} is already in use on rank 0's host (rank 0 serves the rendezvous store there): choose a free port, or stop the process holding it`
          : `rank 0 could not serve the rendezvous store on port ${port}: ${err.message}`));
      });
      server.listen(port, () => {
        server.unref();
        store.timers.push(setTimeout(() => store.timeOut(timeoutMs), timeoutMs).unref());
        store.timers.push(setInterval(() => store.checkHeartbeats(), Math.min(1000, stallMs)).unref());
        resolve(store);
      });
    });
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    for (const { socket } of this.ranks.values()) socket.destroy();
    this.server.close();
  }

  private accept(socket: Socket): void {
    socket.unref();
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let mode: 'gloo' | 'control' | null = null;
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      mode ??= buffered[0] === JSON_START ? 'control' : 'gloo';
      buffered = mode === 'gloo' ? this.glooFrames(socket, buffered) : this.controlLines(socket, buffered);
    });
    socket.on('close', () => this.closed(socket));
  }

  /** Serves every whole request in `data`; returns the unfinished tail. */
  private glooFrames(socket: Socket, data: Buffer): Buffer {
    let at = 0;
    while (data.length - at >= 5) {
      const keyLength = data.readUInt32BE(at + 1);
      if ((data[at] !== SET && data[at] !== GET) || keyLength > MAX_KEY) {
        socket.end(frame(1, Buffer.from('not a rendezvous store request')));
        return Buffer.alloc(0);
      }
      if (data.length - at < 9 + keyLength) break;
      const valueLength = data.readUInt32BE(at + 5 + keyLength);
      if (valueLength > MAX_VALUE) {
        socket.end(frame(1, Buffer.from(`a value of ${valueLength} bytes is over the store's ${MAX_VALUE}`)));
        return Buffer.alloc(0);
      }
      const end = at + 9 + keyLength + valueLength;
      if (data.length < end) break;
      const op = data[at];
      const key = data.toString('utf8', at + 5, at + 5 + keyLength);
      const value = Buffer.from(data.subarray(at + 9 + keyLength, end));
      at = end;
      if (op === SET) {
        this.values.set(key, value);
        socket.write(frame(0, Buffer.alloc(0)));
        for (const w of this.waiting.get(key) ?? []) w.write(frame(0, value));
        this.waiting.delete(key);
      } else if (op === GET) {
        const known = this.values.get(key);
        if (known !== undefined) socket.write(frame(0, known));
        else this.waiting.set(key, [...(this.waiting.get(key) ?? []), socket]);
      } else {
        socket.end(frame(1, Buffer.from(`unknown store request ${op}`)));
        return Buffer.alloc(0);
      }
    }
    return data.subarray(at);
  }

  private controlLines(socket: Socket, data: Buffer): Buffer {
    let text = data.toString('utf8');
    let newline = text.indexOf('\n');
    while (newline >= 0) {
      const line = text.slice(0, newline);
      text = text.slice(newline + 1);
      newline = text.indexOf('\n');
      const found = [...this.ranks].find(([, r]) => r.socket === socket);
      if (found === undefined) {
        if (line.length > 0) this.register(socket, line);
        continue;
      }
      const [rank, entry] = found;
      entry.seen = Date.now();
      if (entry.stalled) {
        entry.stalled = false;
        this.tellOthers(rank, { back: rank });
      }
      if (line.length > 0) {
        // A rank that failed its part of a step says why before it leaves the group.
        let why: string | undefined;
        try {
          why = (JSON.parse(line) as { failed?: string }).failed;
        } catch {
          why = undefined;
        }
        if (why !== undefined) this.tellOthers(rank, { lost: rank, why: `it failed its part of the step: ${why}` });
      }
    }
    return Buffer.from(text, 'utf8');
  }

  private send(socket: Socket, message: object): void {
    if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
  }

  private register(socket: Socket, line: string): void {
    let r: Registration;
    try {
      r = JSON.parse(line) as Registration;
    } catch {
      this.send(socket, { error: `a malformed registration reached the rendezvous store: ${line.slice(0, 80)}` });
      socket.end();
      return;
    }
    if (this.failed !== null) {
      this.send(socket, { error: this.failed });
      return;
    }
    if (this.formed) {
      // Too late to join: the group stays as it is; the newcomer alone hears why.
      this.send(socket, { error: `the group of ${this.worldSize} had already formed when a process with RANK ${r.rank} (pid ${r.pid} on ${r.host}) ` +
        'registered: two processes claim one RANK, or a rank was restarted (start every rank again)' });
      socket.end();
      return;
    }
    const where = (x: Registration) => `pid ${x.pid} on ${x.host}`;
    if (r.worldSize !== this.worldSize) {
      return this.fail(socket, `the ranks disagree on WORLD_SIZE: rank 0 has ${this.worldSize}, rank ${r.rank} (${where(r)}) has ${r.worldSize}`);
    }
    const holder = this.ranks.get(r.rank);
    if (holder !== undefined) {
      return this.fail(socket, `two processes claim RANK ${r.rank} (${where(holder.registration)} and ${where(r)}): give each process its own RANK in 0..${this.worldSize - 1}`);
    }
    this.ranks.set(r.rank, { socket, registration: r, seen: Date.now(), stalled: false });
    if (this.ranks.size === this.worldSize) {
      this.formed = true;
      const own = this.ranks.get(0)?.socket;
      // Rank 0 listens where the other hosts reach it: the local end of a remote rank's line.
      const remote = [...this.ranks.values()].map((e) => e.socket).find((x) => !isLoopback(x.remoteAddress));
      const rankZero = plainAddress(remote?.localAddress ?? own?.localAddress);
      for (const [rank, { socket: s }] of this.ranks) this.send(s, { ready: true, address: rank === 0 ? rankZero : plainAddress(s.remoteAddress) });
    }
  }

  /** The group cannot form: every rank that registered hears why (`newcomer`, the one that showed it, too), and so do later ones. */
  private fail(newcomer: Socket | null, message: string): void {
    this.failed = message;
    for (const { socket } of this.ranks.values()) this.send(socket, { error: message });
    if (newcomer !== null) this.send(newcomer, { error: message });
  }

  private timeOut(timeoutMs: number): void {
    if (this.formed || this.failed !== null) return;
    const missing = Array.from({ length: this.worldSize }, (_, i) => i).filter((i) => !this.ranks.has(i));
    this.fail(null, `rank${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${this.worldSize} did not join within ${timeoutMs / 1000} s ` +
      '(not started, or given another MASTER_ADDR / MASTER_PORT)');
  }

  /** Sends `message` about `rank` to every other rank. */
  private tellOthers(rank: number, message: object): void {
    for (const [r, { socket }] of this.ranks) if (r !== rank) this.send(socket, message);
  }

  private lose(rank: number, why: string): void {
    if (!this.ranks.has(rank)) return;
    this.ranks.delete(rank);
    this.tellOthers(rank, { lost: rank, why });
  }

  private closed(socket: Socket): void {
    for (const w of this.waiting.values()) {
      const i = w.indexOf(socket);
      if (i >= 0) w.splice(i, 1);
    }
    for (const [rank, entry] of this.ranks) {
      if (entry.socket !== socket) continue;
      if (this.formed) this.lose(rank, 'its connection closed (the process exited or was killed)');
      else this.ranks.delete(rank);
    }
  }

  private checkHeartbeats(): void {
    if (!this.formed) return;
    const now = Date.now();
    const late = now - this.lastCheck > Math.min(1000, this.stallMs) * 2;
    this.lastCheck = now;
    // This process was blocked (a long synchronous call): the heartbeats are waiting unread, so
    // nobody's silence can be judged until they have been read.
    if (late) {
      for (const entry of this.ranks.values()) entry.seen = now;
      return;
    }
    for (const [rank, entry] of this.ranks) {
      if (entry.stalled || now - entry.seen <= this.stallMs) continue;
      entry.stalled = true;
      this.tellOthers(rank, { lost: rank, why: `it sent no heartbeat for ${Math.round((now - entry.seen) / 1000)} s (stalled or cut off)` });
    }
  }
}

const isLoopback = (address: string | undefined) => address === undefined || /^(127\.|::1$|::ffff:127\.)/.test(address);

/** An IPv4 address without its IPv6-mapped prefix (Gloo resolves either). */
const plainAddress = (address: string | undefined) => (address ?? '127.0.0.1').replace(/^::ffff:/, '');
