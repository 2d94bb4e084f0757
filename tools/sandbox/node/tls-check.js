"use strict";
/*
 * The Node client against an https:// sandbox: it trusts the sandbox's certificate
 * only through the CA it is given (RequestClient's `ca`), and refuses it without.
 *
 *   node tls-check.js https://127.0.0.1:PORT ca.pem
 */

const { sandboxClient } = require("./sandbox-client");

async function sendAndFetch(url, ca) {
  try {
    const client = sandboxClient(url, { ca });
    const created = await client.messages.create({ to: "+15551234567", from: "+15005550006", body: "tls" });
    return { sent: true, body: (await client.messages(created.sid).fetch()).body };
  } catch (error) {
    return { sent: false, code: error.code, message: error.message };
  }
}

async function main() {
  const [url, ca] = process.argv.slice(2);
  const out = { trusted: await sendAndFetch(url, ca), untrusted: await sendAndFetch(url) };
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((error) => {
  process.stderr.write(((error && error.stack) || String(error)) + "\n");
  process.exit(1);
});
