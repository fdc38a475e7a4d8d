// SNS/SQS emulator for cachewarden's integration tests: fauxqs, loopback only.
//
// Usage: node fauxqs-server.js [PORT]     (or FAUXQS_PORT=PORT; 0 = any free)
//
// fauxqs's own startFauxqs() and its CLI always listen on 0.0.0.0, so this
// script builds the app with buildApp() and listens on 127.0.0.1 itself.
// When the socket is bound it prints exactly one line on stdout:
//   fauxqs ready http://127.0.0.1:PORT
// SIGTERM or SIGINT closes the server and exits 0. Any signature is accepted
// (fake credentials are fine); the region comes from the Authorization
// header's credential scope, else us-east-1.
import { buildApp } from "fauxqs";

const HOST = "127.0.0.1";

function parsePort(text) {
  if (text === undefined || text === "") return 0;
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    console.error(`fauxqs-server: bad port: ${text}`);
    process.exit(64);
  }
  return Number(text);
}

const port = parsePort(process.argv[2] ?? process.env.FAUXQS_PORT);
const logger = (process.env.FAUXQS_LOGGER ?? "false") !== "false";

const app = buildApp({ logger, defaultRegion: process.env.FAUXQS_DEFAULT_REGION });

let closing = false;
async function shutdown(signal) {
  if (closing) return;
  closing = true;
  // Never hang on shutdown: the harness escalates to KILL anyway.
  setTimeout(() => process.exit(0), 2000).unref();
  try {
    await app.close();
  } catch (err) {
    console.error(`fauxqs-server: close after ${signal}: ${err.message}`);
  }
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));

try {
  await app.listen({ port, host: HOST });
} catch (err) {
  console.error(`fauxqs-server: listen on ${HOST}:${port}: ${err.message}`);
  process.exit(1);
}
const bound = app.server.address();
console.log(`fauxqs ready http://${HOST}:${bound.port}`);
