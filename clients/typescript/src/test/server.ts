// A real Redis and a real infrashare server for the tests, on free loopback ports. The server can
// be stopped and started again on the same port (a restart), and a second server can share the
// Redis (another replica).
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

import { Client, auth } from "../index";

export const ADMIN = "typescript-test-bootstrap-admin";

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

export class Server {
  private process?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly redisUrl: string,
    private readonly env: Record<string, string>,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  // A server on a free port against the given Redis URL; `env` adds to or overrides its settings.
  static async start(redisUrl: string, env: Record<string, string> = {}): Promise<Server> {
    const server = new Server(await freePort(), redisUrl, env);
    await server.resume();
    return server;
  }

  // Starts the process (again) and waits until it answers, for at most 30 s.
  async resume(): Promise<void> {
    this.process = spawn(process.env.INFRASHARE_SERVER_BIN as string, [], {
      stdio: "ignore",
      env: {
        ...process.env,
        INFRASHARE_REDIS_URL: this.redisUrl,
        INFRASHARE_LISTEN: this.address,
        INFRASHARE_METRICS_LISTEN: "",
        INFRASHARE_HEALTH_LISTEN: "",
        INFRASHARE_AUTH_BOOTSTRAP_ADMIN_TOKEN: ADMIN,
        ...this.env,
      },
    });
    const probe = new Client(this.address, ADMIN, undefined, 2000, 1);
    try {
      for (let i = 0; i < 300; i++) {
        try {
          await probe.call(probe.tokens, "whoAmI", auth.WhoAmIRequest.fromPartial({}));
          return;
        } catch {
          if (this.process.exitCode !== null) throw new Error(`infrashare-server exited with ${this.process.exitCode}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      throw new Error(`infrashare-server did not answer on ${this.address}`);
    } finally {
      probe.close();
    }
  }

  // SIGTERM (the server ends its streams with UNAVAILABLE) and wait for the process to exit.
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child) return;
    child.kill("SIGTERM");
    await exited(child);
  }
}

export class Redis {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<Redis> {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "infrashare-ts-"));
    const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir], {
      stdio: "ignore",
    });
    return new Redis(child, `redis://127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    this.child.kill("SIGKILL");
    await exited(this.child);
  }
}
