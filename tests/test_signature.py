"""X-Twilio-Signature and form parsing: ours against the official library's
RequestValidator (twilio 9.13.0) and the standard library, on generated cases, and the
same fixed and generated cases on both runtimes (tests/device/call.py)."""

import base64
import hashlib
import hmac as std_hmac
import json
import random
import shutil
import subprocess
import urllib.parse
from pathlib import Path

import pytest
from devicevm import result
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from starlette.datastructures import ImmutableMultiDict
from twilio.request_validator import RequestValidator
from utwilio import form, hmac, signature

TOKEN = "12345"
DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
DOC_SIGNATURE = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="  # Twilio's webhooks-security page


def theirs(token, url, pairs, algorithm=None):
    return RequestValidator(token).compute_signature(url, ImmutableMultiDict(pairs), algorithm)


def test_the_documented_example():
    assert signature.compute(TOKEN, DOC_URL, DOC_PARAMS) == DOC_SIGNATURE
    assert signature.compute(TOKEN, DOC_URL, list(DOC_PARAMS.items())) == DOC_SIGNATURE
    assert signature.validate(TOKEN, DOC_SIGNATURE, DOC_URL, DOC_PARAMS)
    assert signature.validate(TOKEN, DOC_SIGNATURE, DOC_URL.replace(".com/", ".com:443/"),
                              DOC_PARAMS)


@pytest.mark.parametrize("change", [
    lambda c: c.update(signature=c["signature"][:-2] + "A="),
    lambda c: c.update(token="54321"),
    lambda c: c["params"].update(Digits="1235"),
    lambda c: c["params"].update(Extra=""),
    lambda c: c["params"].pop("To"),
    lambda c: c.update(url=c["url"].replace("foo=1", "foo=2")),
    lambda c: c.update(url=c["url"].replace("https", "http")),
    lambda c: c.update(url=c["url"].replace("mycompany", "mycompany2")),
    lambda c: c.update(url=c["url"].replace(".php", ".php/")),
    lambda c: c.update(url=c["url"] + "&bodySHA256=x"),
    lambda c: c.update(signature=""),
    lambda c: c.update(signature=None),
    lambda c: c.update(algorithm="HMAC_SHA256"),
    lambda c: c.update(algorithm="HMAC_MD5"),
])
def test_any_change_fails(change):
    case = {"token": TOKEN, "signature": DOC_SIGNATURE, "url": DOC_URL,
            "params": dict(DOC_PARAMS), "algorithm": "HMAC_SHA1"}
    change(case)
    assert not signature.validate(case["token"], case["signature"], case["url"],
                                  case["params"], algorithm=case["algorithm"])


def test_json_webhook_body_is_always_checked():
    body = b'{"Body":"fan on","From":"+15551234567"}'
    url = "https://example.com/hook?bodySHA256=" + hashlib.sha256(body).hexdigest()
    sig = signature.compute(TOKEN, url)
    assert sig == theirs(TOKEN, url, [])
    assert signature.validate(TOKEN, sig, url, body=body)
    assert signature.validate(TOKEN, sig, url, body=body.decode())
    assert signature.validate(TOKEN, sig, url, {"Ignored": "x"}, body=body)
    assert not signature.validate(TOKEN, sig, url, body=body + b" ")
    assert not signature.validate(TOKEN, sig, url, body=b"")
    # the official validator skips the body check when given params instead of the body
    assert RequestValidator(TOKEN).validate(url, {}, sig)
    assert not signature.validate(TOKEN, sig, url)
    assert not signature.validate(TOKEN, sig, url, {})


def test_shared_key_signatures_use_the_named_algorithm():
    header = "key=webhooks_sharedkey_01abc,algorithm=HMAC_SHA256"
    assert signature.algorithm(header) == "HMAC_SHA256"
    assert signature.algorithm(None) == signature.algorithm("key=k") == "HMAC_SHA1"
    sig = signature.compute("shared-secret", DOC_URL, DOC_PARAMS, "HMAC_SHA256")
    assert sig == theirs("shared-secret", DOC_URL, DOC_PARAMS.items(), "HMAC_SHA256")
    assert len(base64.b64decode(sig)) == 32
    assert signature.validate("shared-secret", sig, DOC_URL, DOC_PARAMS,
                              algorithm=signature.algorithm(header))
    assert not signature.validate("shared-secret", sig, DOC_URL, DOC_PARAMS)
    with pytest.raises(ValueError, match="must be HMAC_SHA1 or HMAC_SHA256, got 'SHA1'"):
        signature.compute(TOKEN, DOC_URL, None, "SHA1")


def test_repeated_names_sign_each_distinct_value_sorted():
    pairs = [("MediaUrl", "b"), ("A", "1"), ("MediaUrl", "a"), ("MediaUrl", "b")]
    expected = base64.b64encode(std_hmac.new(
        TOKEN.encode(), b"https://x/yA1MediaUrlaMediaUrlb", hashlib.sha1).digest()).decode()
    assert signature.compute(TOKEN, "https://x/y", pairs) == expected
    assert signature.compute(TOKEN, "https://x/y", {"A": "1", "MediaUrl": ["b", "a"]}) == expected
    assert theirs(TOKEN, "https://x/y", pairs) == expected


def test_non_str_parameters_are_refused():
    with pytest.raises(TypeError, match="signed parameters must be str, got 'Digits'=5"):
        signature.compute(TOKEN, DOC_URL, {"Digits": 5})
    with pytest.raises(TypeError, match="signed parameters must be str, got 'To'=None"):
        signature.compute(TOKEN, DOC_URL, [("From", "+1"), ("To", None)])


@pytest.mark.parametrize("url, variants", [
    ("https://h/x", ["https://h:443/x", "https://h/x"]),
    ("http://h/x", ["http://h:80/x", "http://h/x"]),
    ("HTTPS://h?a=b:1", ["HTTPS://h:443?a=b:1", "HTTPS://h?a=b:1"]),
    ("https://h:443/x", ["https://h:443/x", "https://h/x"]),
    ("https://h:8443/x#rc=2", ["https://h:8443/x#rc=2", "https://h/x#rc=2"]),
    ("https://u:p@h/x", ["https://u:p@h:443/x", "https://u:p@h/x"]),
    ("https://[::1]/x", ["https://[::1]:443/x", "https://[::1]/x"]),
    ("https://[::1]:8443/x", ["https://[::1]:8443/x", "https://[::1]/x"]),
])
def test_url_is_accepted_with_and_without_its_port(url, variants):
    assert signature._with_and_without_port(url) == variants
    for signed in variants:
        assert signature.validate(TOKEN, signature.compute(TOKEN, signed, DOC_PARAMS), url,
                                  DOC_PARAMS)


# --- generated cases against the official library -----------------------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
names = st.one_of(st.sampled_from(["From", "To", "Body", "MediaUrl0", "a", "A", "é"]), text)
pairs = st.lists(st.tuples(names, text), max_size=8)
url_part = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF,
                                 blacklist_characters="#?/:@[]%\\"), max_size=8)


@st.composite
def urls(draw):
    scheme = draw(st.sampled_from(["https", "http"]))
    port = draw(st.sampled_from(["", ":443", ":80", ":8443"]))
    url = "%s://%s%s/%s" % (scheme, draw(st.from_regex(r"[a-z]{1,8}\.[a-z]{2,3}", fullmatch=True)),
                            port, draw(url_part))
    if draw(st.booleans()):
        url += "?" + urllib.parse.urlencode(draw(pairs))
    assume(urllib.parse.urlparse(url).geturl() == url)  # theirs normalizes; see report
    return url


@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80), urls(),
       pairs, st.sampled_from(["HMAC_SHA1", "HMAC_SHA256"]))
@settings(max_examples=300, deadline=None)
def test_compute_agrees_with_the_official_library(token, url, params, algorithm):
    assert signature.compute(token, url, params, algorithm) == theirs(token, url, params,
                                                                        algorithm)


def _port_variants(url):
    parsed = urllib.parse.urlparse(url)
    host = parsed.netloc.split(":")[0]
    default = ":443" if parsed.scheme == "https" else ":80"
    return [parsed._replace(netloc=host + p).geturl() for p in ("", default, ":8443")]


@given(urls(), pairs, st.data())
@settings(max_examples=300, deadline=None)
def test_validate_agrees_with_the_official_library(url, params, data):
    signed_url = data.draw(st.sampled_from(_port_variants(url)))
    signed_params = data.draw(st.sampled_from([params, params[1:], params + [("x", "")]]))
    sig = theirs(TOKEN, signed_url, signed_params)
    mine = signature.validate(TOKEN, sig, url, params)
    assert mine == RequestValidator(TOKEN).validate(url, ImmutableMultiDict(params), sig)


@given(urls(), st.binary(max_size=200), st.binary(max_size=200))
@settings(max_examples=100, deadline=None)
def test_json_validate_agrees_with_the_official_library(url, body, other):
    body, other = body.decode("latin-1").encode(), other.decode("latin-1").encode()
    sep = "&" if "?" in url else "?"
    url += sep + "bodySHA256=" + hashlib.sha256(body).hexdigest()
    sig = theirs(TOKEN, url, [])
    for sent in (body, other):
        assert signature.validate(TOKEN, sig, url, body=sent) == \
            RequestValidator(TOKEN).validate(url, sent.decode(), sig)


@given(st.binary(max_size=100), st.binary(max_size=300),
       st.sampled_from([hashlib.sha1, hashlib.sha256]))
@settings(max_examples=200, deadline=None)
def test_hmac_agrees_with_the_standard_library(key, message, hash):
    cut = len(message) // 3
    assert hmac.digest(key, [message[:cut], message[cut:]], hash) == \
        std_hmac.new(key, message, hash).digest()


def test_equal():
    assert hmac.equal("abc", b"abc") and hmac.equal(b"", "")
    assert not hmac.equal("abc", "abd") and not hmac.equal("abc", "abcd")


# --- form parsing --------------------------------------------------------------------

@given(pairs)
@settings(max_examples=300, deadline=None)
def test_parse_inverts_encode_and_agrees_with_the_standard_library(params):
    body = bytes(form.encode(params))
    assert form.parse(body) == form.parse(body.decode()) == params
    std = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
    assert form.parse(body) == std
    assert form.parse(urllib.parse.urlencode(params, quote_via=urllib.parse.quote)) == std


@pytest.mark.parametrize("body, expected", [
    (b"", []),
    (b"a=1&&b=&c", [("a", "1"), ("b", ""), ("c", "")]),
    (b"a=1=2&a=%3d", [("a", "1=2"), ("a", "=")]),
    (b"Body=fan+on%2B%F0%9F%98%80", [("Body", "fan on+😀")]),
    (b"%e2%82%AC=%E2%82%ac", [("€", "€")]),
    ("Body=é+x", [("Body", "é x")]),
])
def test_parse_examples(body, expected):
    assert form.parse(body) == expected


@pytest.mark.parametrize("body, message", [
    (b"a=%zz", "bad %-escape b'%zz'"),
    (b"a=%4", "bad %-escape b'%4'"),
    (b"a=1%", "bad %-escape b'%'"),
    (b"a=%+1", "bad %-escape b'%+1'"),
    (b"a=%FF", "not UTF-8 after %-decoding: b'\\xff'"),
    (b"\xff=1", "not UTF-8"),
])
def test_parse_refuses_malformed_bodies(body, message):
    with pytest.raises(ValueError, match="^form data .*" + message.replace("\\", "\\\\")
                       .replace("+", "\\+").replace("%", "%")):
        form.parse(body)


def test_to_dict_keeps_every_value_in_order():
    assert form.to_dict(form.parse("MediaUrl=b&A=1&MediaUrl=a")) == {
        "MediaUrl": ["b", "a"], "A": ["1"]}


# --- both runtimes ------------------------------------------------------------------

def _device_cases():
    """[(call, expected)]: fixed cases plus seeded random ones checked by the official
    library (the device runs them all in one process)."""
    body = '{"Body":"fan on 😀"}'
    json_url = "https://h/j?bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
    json_sig = theirs(TOKEN, json_url, [])
    cases = [
        (["signature", "compute", [TOKEN, DOC_URL, DOC_PARAMS], {}], ["ok", DOC_SIGNATURE]),
        (["signature", "validate", [TOKEN, DOC_SIGNATURE, DOC_URL, DOC_PARAMS], {}], ["ok", True]),
        (["signature", "validate", [TOKEN, DOC_SIGNATURE, DOC_URL.replace(".com", ".com:443"),
                                    DOC_PARAMS], {}], ["ok", True]),
        (["signature", "validate", [TOKEN, DOC_SIGNATURE, DOC_URL, {"To": "x"}], {}],
         ["ok", False]),
        (["signature", "validate", [TOKEN, json_sig, json_url], {"body": {"bytes": body}}],
         ["ok", True]),
        (["signature", "validate", [TOKEN, json_sig, json_url], {"body": {"bytes": body + " "}}],
         ["ok", False]),
        (["signature", "validate", [TOKEN, json_sig, json_url], {}], ["ok", False]),
        (["signature", "compute", ["k", DOC_URL, DOC_PARAMS, "HMAC_SHA256"], {}],
         ["ok", theirs("k", DOC_URL, DOC_PARAMS.items(), "HMAC_SHA256")]),
        (["signature", "algorithm", ["key=a,algorithm=HMAC_SHA256"], {}], ["ok", "HMAC_SHA256"]),
        (["signature", "compute", [TOKEN, DOC_URL, {"Digits": 5}], {}],
         ["TypeError", "signed parameters must be str, got 'Digits'=5"]),
        (["form", "parse", [{"bytes": "a=1&&b=&c&%E2%82%AC=+%F0%9F%98%80"}], {}],
         ["ok", [["a", "1"], ["b", ""], ["c", ""], ["€", " 😀"]]]),
        (["form", "parse", ["a=%zz"], {}],
         ["ValueError", "form data has a bad %-escape b'%zz': '%' must be followed by two hex "
                        "digits"]),
        (["form", "parse", ["a=%C3"], {}],
         ["ValueError", "form data is not UTF-8 after %-decoding: b'\\xc3'"]),
        (["form", "to_dict", [[["a", "1"], ["b", "2"], ["a", "3"]]], {}],
         ["ok", {"a": ["1", "3"], "b": ["2"]}]),
    ]
    rnd = random.Random(4)
    alphabet = "aAzZ09 +&=%?#é€😀\u00a0\u4e2d_.-~\t\n"
    word = lambda: "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(6)))  # noqa: E731
    for i in range(120):
        params = [(rnd.choice(["From", "To", "Body", word()]), word())
                  for _ in range(rnd.randrange(6))]
        url = "https://example.com%s/hook?i=%d" % (rnd.choice(["", ":443", ":8443"]), i)
        token = word() + "x"
        algorithm = rnd.choice(["HMAC_SHA1", "HMAC_SHA256"])
        sig = theirs(token, url, params, algorithm)
        cases.append((["signature", "compute", [token, url, params, algorithm], {}], ["ok", sig]))
        checked = rnd.choice(_port_variants(url) + [url.replace("=", "=0")])
        ok = RequestValidator(token).validate(checked, ImmutableMultiDict(params), sig, algorithm)
        cases.append((["signature", "validate", [token, sig, checked, params],
                       {"algorithm": algorithm}], ["ok", ok]))
        body = bytes(form.encode(params)).decode()
        cases.append((["form", "parse", [{"bytes": body}], {}],
                      ["ok", [list(p) for p in urllib.parse.parse_qsl(body, True)]]))
    return cases


def test_known_and_generated_cases_on_both_runtimes(runtime):
    cases = _device_cases()
    got = result(runtime, "call.py", {"calls": [c for c, _ in cases]})
    for (call, expected), actual in zip(cases, got, strict=True):
        assert actual == expected, call


# --- the Node library (twilio-node, as installed for the sandbox's client test) ----------

NODE_DIR = Path(__file__).resolve().parent.parent / "tools" / "sandbox" / "node"
NODE_SCRIPT = """
const twilio = require("twilio");
const cases = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(JSON.stringify(cases.map((c) => c.body === undefined
  ? [twilio.getExpectedTwilioSignature(c.token, c.url, c.params),
     twilio.validateRequest(c.token, c.sig, c.url, c.params)]
  : [null, twilio.validateRequestWithBody(c.token, c.sig, c.url, c.body)])));
"""


def test_agrees_with_the_node_library():
    """Names and values stay in the BMP: JavaScript sorts UTF-16 code units, Python (and
    MicroPython) code points, which differ only above U+FFFF."""
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "twilio").exists():
        pytest.fail("twilio-node is not installed: run `bash tools/sandbox/setup-node.sh`")
    rnd = random.Random(11)
    alphabet = "aAzZ09 +&=%?é€\u00a0\u4e2d\ufb01_.-~"
    word = lambda: "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(6)))  # noqa: E731
    cases, ours = [], []
    for i in range(150):
        params = {}
        for _ in range(rnd.randrange(5)):
            name = rnd.choice(["From", "To", "Body", "MediaUrl", word()])
            params.setdefault(name, []).append(word())
        url = "https://example.com%s/hook?i=%d" % (rnd.choice(["", ":443", ":8443"]), i)
        signed = rnd.choice(_port_variants(url) + [url + "x"])
        token = word() + "k"
        sig = signature.compute(token, signed, params)
        cases.append({"token": token, "url": url, "params": params, "sig": sig})
        ours.append([signature.compute(token, url, params),
                     signature.validate(token, sig, url, params)])
        body = '{"i": %d, "w": "%s"}' % (i, word().replace('"', ""))
        json_url = url + "&bodySHA256=" + hashlib.sha256(body.encode()).hexdigest()
        sig = signature.compute(token, rnd.choice(_port_variants(json_url)))
        sent = rnd.choice([body, body + " "])
        cases.append({"token": token, "url": json_url, "sig": sig, "body": sent})
        ours.append([None, signature.validate(token, sig, json_url, body=sent.encode())])
    proc = subprocess.run([node, "-e", NODE_SCRIPT], input=json.dumps(cases), text=True,
                          capture_output=True, cwd=NODE_DIR, timeout=60)
    assert proc.returncode == 0, proc.stderr
    theirs = json.loads(proc.stdout)
    assert any(v for _, v in theirs) and not all(v for _, v in theirs)
    for case, mine, node_says in zip(cases, ours, theirs, strict=True):
        assert mine == node_says, case
