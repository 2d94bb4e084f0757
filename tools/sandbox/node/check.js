"use strict";
/*
 * The official Node `twilio` client against a sandbox, as a Node user would use it:
 * messages and calls created, fetched, listed across pages, updated and removed;
 * Twilio's errors as RestException; the sandbox's signed webhooks checked with
 * twilio.validateRequest by a Node web app (a small http server here).
 *
 *   node check.js http://127.0.0.1:PORT      (a sandbox started with step_seconds=3600)
 *
 * Prints one JSON object for tests/sandbox/test_node_client.py to assert on. The
 * sandbox's clock (POST /sandbox/clock) moves messages and calls on one step at a
 * time, so nothing here waits for real time to pass.
 */

const http = require("http");
const twilio = require("twilio");
const { sandboxClient, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN } = require("./sandbox-client");

const SANDBOX = process.argv[2];
const FROM = "+15005550006";
const TO = "+15551234567";
const STEP_SECONDS = 3600;
const VOICE_TWIML = "<Response><Say>Greenhouse hot</Say></Response>";
const PHONE = "+15557654321";
const SMS_REPLY = "Fan is on <ok> & 36.2°C";

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(predicate, what, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("gave up waiting for " + what);
    await sleep(10);
  }
}

async function advanceClock() {
  const response = await fetch(SANDBOX + "/sandbox/clock", {
    method: "POST",
    body: new URLSearchParams({ Seconds: String(STEP_SECONDS) }),
  });
  if (response.status !== 200) throw new Error("clock: HTTP " + response.status);
}

/** Form fields as validateRequest takes them: repeated names become arrays. */
function formParams(body) {
  const params = {};
  for (const [name, value] of new URLSearchParams(body)) {
    if (!(name in params)) params[name] = value;
    else params[name] = [].concat(params[name], value);
  }
  return params;
}

/** A user's web app: records each webhook; answers /voice with TwiML. */
function startWebApp() {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const url = "http://" + req.headers.host + req.url;
      requests.push({
        path: new URL(url).pathname,
        url,
        params: formParams(Buffer.concat(chunks).toString("utf8")),
        signature: req.headers["x-twilio-signature"],
      });
      if (req.url.startsWith("/voice")) {
        res.writeHead(200, { "Content-Type": "application/xml" });
        res.end(VOICE_TWIML);
      } else if (req.url.startsWith("/sms")) {
        const reply = new twilio.twiml.MessagingResponse();
        reply.message(SMS_REPLY);
        res.writeHead(200, { "Content-Type": "text/xml" });
        res.end(reply.toString());
      } else {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end();
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ server, requests, url: "http://127.0.0.1:" + server.address().port });
    });
  });
}

/** What a failed call raised: the client's RestException with Twilio's code and status. */
async function failure(promise) {
  try {
    await promise;
    return { raised: false };
  } catch (error) {
    return {
      raised: true,
      restException: error instanceof twilio.RestException,
      code: error.code,
      status: error.status,
      message: error.message,
      moreInfo: error.moreInfo,
    };
  }
}

function date(value) {
  return value instanceof Date && !isNaN(value) ? value.toISOString() : String(value);
}

function messageFacts(m) {
  return {
    sid: m.sid,
    accountSid: m.accountSid,
    to: m.to,
    from: m.from,
    body: m.body,
    status: m.status,
    numMedia: m.numMedia,
    numSegments: m.numSegments,
    direction: m.direction,
    price: m.price,
    dateCreated: date(m.dateCreated),
    uri: m.uri,
  };
}

function callFacts(c) {
  return { sid: c.sid, to: c.to, from: c.from, status: c.status, dateCreated: date(c.dateCreated) };
}

/** validateRequest on a webhook as received, and on forged variants of it. */
function signatureChecks(request) {
  const { url, params } = request;
  const signature = request.signature || "";
  const forgedParams = { ...params, To: "+15550000000" };
  return {
    path: request.path,
    status: params.MessageStatus || params.CallStatus || params.SmsStatus,
    signed: Boolean(signature),
    valid: twilio.validateRequest(DEFAULT_AUTH_TOKEN, signature, url, params),
    forgedParams: twilio.validateRequest(DEFAULT_AUTH_TOKEN, signature, url, forgedParams),
    forgedUrl: twilio.validateRequest(DEFAULT_AUTH_TOKEN, signature, url.replace("device=7", "device=8"), params),
    forgedSignature: twilio.validateRequest(DEFAULT_AUTH_TOKEN, signature.slice(0, -2) + "AA", url, params),
    wrongToken: twilio.validateRequest("f".repeat(32), signature, url, params),
  };
}

async function messagesPages(client) {
  const sizes = [];
  let page = await client.messages.page({ pageSize: 2 });
  sizes.push(page.instances.length);
  while (page.nextPageUrl) {
    page = await page.nextPage();
    sizes.push(page.instances.length);
  }
  return sizes;
}

async function main() {
  const web = await startWebApp();
  const client = sandboxClient(SANDBOX);
  const sent = client.httpClient.sent;
  const out = { versions: { twilio: require("twilio/package.json").version, node: process.version } };

  // Messages: create (two media), fetch, list across pages.
  const created = await client.messages.create({
    to: TO,
    from: FROM,
    body: "Fan on ✓",
    mediaUrl: ["https://example.test/a.jpg", "https://example.test/b.jpg"],
    statusCallback: web.url + "/status?device=7",
  });
  const fetched = await client.messages(created.sid).fetch();
  const media = await client.messages(created.sid).media.list();
  for (let i = 0; i < 4; i++) {
    await client.messages.create({ to: TO, from: FROM, body: "n" + i });
  }
  const listStart = sent.length;
  const listed = await client.messages.list({ pageSize: 2 });
  const listRequests = sent.slice(listStart);
  const eachSids = [];
  await client.messages.each({ pageSize: 2 }, (m) => eachSids.push(m.sid));
  out.messages = {
    created: messageFacts(created),
    fetched: messageFacts(fetched),
    media: media.map((m) => ({ sid: m.sid, parentSid: m.parentSid, contentType: m.contentType })),
    listed: listed.map((m) => m.sid),
    listedBodies: listed.map((m) => m.body),
    listRequests,
    eachSids,
    limited: (await client.messages.list({ limit: 2 })).map((m) => m.body),
    pageSizes: await messagesPages(client),
    byRecipient: (await client.messages.list({ to: "+15559999999" })).length,
  };

  // Calls: one fetches its TwiML from our web app, one carries it inline.
  const byUrl = await client.calls.create({ to: TO, from: FROM, url: web.url + "/voice?device=7" });
  const inline = await client.calls.create({ to: TO, from: FROM, twiml: VOICE_TWIML });

  // Date filters by day, as the client sends a Date (2026-12-01T00:00:00Z).
  const made = created.dateCreated;
  const day = new Date(Date.UTC(made.getUTCFullYear(), made.getUTCMonth(), made.getUTCDate()));
  const nextDay = new Date(day.getTime() + 86400000);
  const filterStart = sent.length;
  out.dateFilters = {
    dateSent: (await client.messages.list({ dateSent: day })).length,
    dateSentNextDay: (await client.messages.list({ dateSent: nextDay })).length,
    dateSentBefore: (await client.messages.list({ dateSentBefore: day })).length,
    dateSentAfterNextDay: (await client.messages.list({ dateSentAfter: nextDay })).length,
    startTime: (await client.calls.list({ startTime: day })).length,
    startTimeNextDay: (await client.calls.list({ startTime: nextDay })).length,
    mediaDateCreated: (await client.messages(created.sid).media.list({ dateCreated: day })).length,
    query: sent[filterStart].query,
  };
  out.calls = {
    byUrl: callFacts(byUrl),
    inline: callFacts(inline),
    fetched: callFacts(await client.calls(byUrl.sid).fetch()),
    canceled: callFacts(await client.calls(inline.sid).update({ status: "canceled" })),
  };

  // Twilio's errors, each a RestException with Twilio's code and HTTP status.
  const badToken = sandboxClient(SANDBOX, { password: "f".repeat(32) });
  out.errors = {
    invalidTo: await failure(client.messages.create({ to: "+1555", from: FROM, body: "x" })),
    missingBody: await failure(client.messages.create({ to: TO, from: FROM })),
    badCredentials: await failure(badToken.messages.create({ to: TO, from: FROM, body: "x" })),
    unknownMessage: await failure(client.messages("SM" + "0".repeat(32)).fetch()),
    unknownCall: await failure(client.calls("CA" + "0".repeat(32)).fetch()),
    removeUndelivered: await failure(client.messages(created.sid).remove()),
    cancelTwice: await failure(client.calls(inline.sid).update({ status: "canceled" })),
    pageSizeTooLarge: await failure(client.messages.page({ pageSize: 1001 })),
  };

  // Step 1: messages sending, the first call ringing.
  await advanceClock();
  await waitFor(() => web.requests.some((r) => r.params.MessageStatus === "sending"), "'sending'");
  await waitFor(async () => (await client.calls(byUrl.sid).fetch()).status === "ringing", "ringing");
  // Step 2: messages sent, the call answered (its TwiML fetched from our web app).
  await advanceClock();
  await waitFor(() => web.requests.some((r) => r.path === "/voice"), "the TwiML request");
  await waitFor(() => web.requests.some((r) => r.params.MessageStatus === "sent"), "'sent'");
  out.calls.inProgress = (await client.calls.list({ status: "in-progress" })).map((c) => c.sid);
  out.calls.canceledList = (await client.calls.list({ status: "canceled" })).map((c) => c.sid);
  out.calls.hungUp = callFacts(await client.calls(byUrl.sid).update({ status: "completed" }));
  out.calls.completedList = (await client.calls.list({ status: "completed" })).map((c) => c.sid);
  out.calls.removed = [await client.calls(byUrl.sid).remove(), await client.calls(inline.sid).remove()];
  out.calls.afterRemove = await failure(client.calls(byUrl.sid).fetch());
  out.calls.left = (await client.calls.list()).length;
  // Step 3: messages delivered; now they may be removed.
  await advanceClock();
  await waitFor(() => web.requests.some((r) => r.params.MessageStatus === "delivered"), "'delivered'");
  out.messages.delivered = messageFacts(await client.messages(created.sid).fetch());
  out.messages.removed = await client.messages(created.sid).remove();
  out.messages.afterRemove = await failure(client.messages(created.sid).fetch());
  out.messages.left = (await client.messages.list()).length;

  // A phone texts our number; its SmsUrl is our web app, which answers with TwiML.
  const [number] = await client.incomingPhoneNumbers.list({ phoneNumber: FROM });
  await client.incomingPhoneNumbers(number.sid).update({ smsUrl: web.url + "/sms?device=7" });
  const texted = await fetch(SANDBOX + "/sandbox/phone/messages", {
    method: "POST",
    body: new URLSearchParams({ From: PHONE, To: FROM, Body: "Fan on ✓ 36.2°C" }),
  });
  if (texted.status !== 201) throw new Error("phone: HTTP " + texted.status);
  const replies = await waitFor(async () => {
    const found = await client.messages.list({ to: PHONE, from: FROM });
    return found.length ? found : null;
  }, "the TwiML reply");
  out.inbound = {
    received: web.requests.filter((r) => r.path === "/sms").map((r) => r.params.Body),
    replies: replies.map((m) => ({ body: m.body, direction: m.direction })),
  };

  out.webhooks = web.requests.map(signatureChecks);
  out.accountSid = DEFAULT_ACCOUNT_SID;
  web.server.close();
  process.stdout.write(JSON.stringify(out) + "\n");
}

if (!SANDBOX) {
  process.stderr.write("usage: node check.js http://127.0.0.1:PORT\n");
  process.exit(2);
}
main().catch((error) => {
  process.stderr.write((error && error.stack) || String(error));
  process.stderr.write("\n");
  process.exit(1);
});
