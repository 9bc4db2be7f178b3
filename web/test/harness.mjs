// A real Redis and a real server (the HTTP listener on, serving web/), both on free loopback
// ports, and a headless Chromium from Debian driven by puppeteer-core.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer from "puppeteer-core";
import client from "@infrashare/client";

export const { Client, auth, registry, scheduler, programme, impact } = client;
export const ADMIN = "web-test-bootstrap-admin";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

export async function startServer(extraEnv = {}) {
  const [redisPort, grpcPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "infrashare-web-"));
  const redis = spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--dir", dir], {
    stdio: "ignore",
  });
  const server = spawn(process.env.INFRASHARE_SERVER_BIN, [], {
    stdio: "ignore",
    env: {
      ...process.env,
      INFRASHARE_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      INFRASHARE_LISTEN: `127.0.0.1:${grpcPort}`,
      INFRASHARE_METRICS_LISTEN: "",
      INFRASHARE_HEALTH_LISTEN: "",
      INFRASHARE_AUTH_BOOTSTRAP_ADMIN_TOKEN: ADMIN,
      INFRASHARE_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      INFRASHARE_HTTP_STATIC_DIR: path.join(root, "web"),
      INFRASHARE_HTTP_VENDOR_DIR: path.join(root, "node_modules"),
      INFRASHARE_HTTP_BURST: "100000",
      INFRASHARE_HTTP_RATE_PER_S: "100000",
      ...extraEnv,
    },
  });
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  const base = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${base}/open/catalog.jsonld`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    grpcAddress,
    admin: () => new Client(grpcAddress, ADMIN),
    stop() {
      server.kill("SIGTERM");
      redis.kill("SIGKILL");
    },
  };
}

export async function openBrowser() {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

// A screenshot for docs/ when asked for (scripts/screenshots); tests never depend on it.
export async function maybeScreenshot(page, name) {
  const dir = process.env.INFRASHARE_SCREENSHOT_DIR;
  if (dir) await page.screenshot({ path: path.join(dir, name), fullPage: true });
}
