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
  private readonly ranks = new Map<number, { socket: Socket; registration: Registration; seen: number }>();
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
      if (data.length - at < 9 + keyLength) break;
      const valueLength = data.readUInt32BE(at + 5 + keyLength);
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
      const entry = [...this.ranks.values()].find((r) => r.socket === socket);
      if (entry !== undefined) entry.seen = Date.now();
      else if (line.length > 0) this.register(socket, line);
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
    const where = (x: Registration) => `pid ${x.pid} on ${x.host}`;
    if (r.worldSize !== this.worldSize) {
      return this.fail(socket, `the ranks disagree on WORLD_SIZE: rank 0 has ${this.worldSize}, rank ${r.rank} (${where(r)}) has ${r.worldSize}`);
    }
    const holder = this.ranks.get(r.rank);
    if (holder !== undefined || this.formed) {
      const first = holder === undefined ? 'a process of the group already formed' : where(holder.registration);
      return this.fail(socket, `two processes claim RANK ${r.rank} (${first} and ${where(r)}): give each process its own RANK in 0..${this.worldSize - 1}`);
    }
    this.ranks.set(r.rank, { socket, registration: r, seen: Date.now() });
    if (this.ranks.size === this.worldSize) {
      this.formed = true;
      for (const { socket: s } of this.ranks.values()) this.send(s, { ready: true });
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

  private lose(rank: number, why: string): void {
    const entry = this.ranks.get(rank);
    if (entry === undefined) return;
    this.ranks.delete(rank);
    for (const { socket } of this.ranks.values()) this.send(socket, { lost: rank, why });
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
    for (const [rank, entry] of [...this.ranks]) {
      if (now - entry.seen > this.stallMs) this.lose(rank, `it sent no heartbeat for ${Math.round((now - entry.seen) / 1000)} s (stalled or cut off)`);
    }
  }
}
