"use strict";
/*
 * Point the official Node `twilio` client at a sandbox, unchanged otherwise.
 *
 * The client builds URLs like https://api.twilio.com/2010-04-01/... and its
 * `edge`/`region` options only rename *.twilio.com hosts, so the one way in is
 * its `httpClient` option: a RequestClient that swaps scheme and host of every
 * *.twilio.com URL for the sandbox's (every Twilio host maps onto the sandbox
 * by path), the twin of utwilio_sandbox.clients.SandboxHttpClient.
 */

const fs = require("fs");
const twilio = require("twilio");

const DEFAULT_ACCOUNT_SID = "AC00000000000000000000000000000001";
const DEFAULT_AUTH_TOKEN = "0123456789abcdef0123456789abcdef";

function isTwilioHost(hostname) {
  return hostname === "twilio.com" || hostname.endsWith(".twilio.com");
}

class SandboxRequestClient extends twilio.RequestClient {
  /** `ca`: a PEM file to trust for an https:// sandbox. `sent` lists each request made. */
  constructor(baseUrl, { ca } = {}) {
    super(ca ? { ca: fs.readFileSync(ca) } : {});
    this.base = new URL(baseUrl);
    this.sent = [];
  }

  request(opts) {
    const uri = new URL(opts.uri);
    if (isTwilioHost(uri.hostname)) {
      uri.protocol = this.base.protocol;
      uri.host = this.base.host;
    }
    const query = Object.fromEntries(uri.searchParams);
    this.sent.push({ method: opts.method.toUpperCase(), path: uri.pathname, query: { ...query, ...opts.params } });
    return super.request({ ...opts, uri: uri.href });
  }
}

/** An official twilio client that talks to the sandbox at `baseUrl`. */
function sandboxClient(
  baseUrl,
  { username = DEFAULT_ACCOUNT_SID, password = DEFAULT_AUTH_TOKEN, accountSid, ca } = {},
) {
  return twilio(username, password, {
    accountSid,
    httpClient: new SandboxRequestClient(baseUrl, { ca }),
  });
}

module.exports = { sandboxClient, SandboxRequestClient, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN };
