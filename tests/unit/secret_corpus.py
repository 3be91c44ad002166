"""A corpus of realistic but FAKE secrets, one per format, and of look-alikes that must not be masked.

Every secret is assembled at import time from a split prefix and a body drawn from a seeded generator, so no
real-looking credential sits in the source as one literal (push-protection scanners stay quiet) and the corpus is
the same on every run. ``shown`` is what must stay visible: the well-known prefix plus the characters the
redactor keeps, immediately followed by the marker.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

__all__ = ["LOOKALIKES", "MARKER", "SECRETS", "SecretSample", "pem_block"]

MARKER = "…[redacted]"
_rng = random.Random(20261121)
_ALNUM = string.ascii_letters + string.digits
_B64 = _ALNUM + "+/"
_URLSAFE = _ALNUM + "-_"
_HEX = "0123456789abcdef"
_UPPER_DIGITS = string.ascii_uppercase + string.digits


def _draw(alphabet: str, n: int) -> str:
    """n random characters, with a digit, an upper and a lower case letter when the alphabet has them (n >= 8)."""
    classes = [test for test in (str.isdigit, str.isupper, str.islower) if any(test(c) for c in alphabet)]
    while True:
        out = "".join(_rng.choice(alphabet) for _ in range(n))
        if n < 8 or all(any(test(c) for c in out) for test in classes):
            return out


def _p(*parts: str) -> str:
    return "".join(parts)


@dataclass(frozen=True, slots=True, kw_only=True)
class SecretSample:
    name: str
    text: str  # the secret in a realistic setting
    secret: str  # what must not survive redaction
    shown: str  # what must survive, directly followed by MARKER
    anywhere: bool = True  # False: recognised only in its own setting (a whole .env line, a bare YAML word)


def pem_block(kind: str, *, lines: int = 12, width: int = 64) -> tuple[str, str]:
    """A fake PEM private-key block (text, body) with ``kind`` like "RSA " or "" or "OPENSSH "."""
    body_lines = [_draw(_B64, width) for _ in range(lines)] + [_draw(_B64, 20) + "=="]
    label = f"{kind}PRIVATE KEY"
    block = "\n".join([_p("-----", "BEGIN ", label, "-----"), *body_lines, _p("-----", "END ", label, "-----")])
    return block, "\n".join(body_lines)


def _jwt() -> str:
    def seg(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    header = seg({"alg": "HS256", "typ": "JWT"})
    payload = seg({"sub": "user-" + _draw(string.digits, 6), "name": "Ada", "iat": 1731000000})
    return f"{header}.{payload}.{_draw(_URLSAFE, 43)}"


def _prefixed(name: str, prefix: str, body: str, keep: int, template: str = "{}") -> SecretSample:
    token = prefix + body
    return SecretSample(name=name, text=template.format(token), secret=token, shown=prefix + body[:keep])


def _valued(name: str, template: str, value: str, shown_prefix: str, *, anywhere: bool = True) -> SecretSample:
    keep = 0 if len(value) < 12 else min(4, len(value) // 6)
    return SecretSample(name=name, text=template.format(value), secret=value, shown=shown_prefix + value[:keep],
                        anywhere=anywhere)


def _build() -> tuple[SecretSample, ...]:
    gh = _p("gh", "p_")
    samples = [
        _prefixed("aws-access-key-id", _p("AK", "IA"), _draw(string.ascii_uppercase + string.digits, 16), 0,
                  "aws_access_key_id = {}"),
        _prefixed("aws-session-key-id", _p("AS", "IA"), _draw(string.ascii_uppercase + string.digits, 16), 0,
                  "export AWS_ACCESS_KEY_ID={}"),
        _valued("aws-secret-key-ini", "aws_secret_access_key = {}", _draw(_B64, 40), "aws_secret_access_key = "),
        _valued("aws-secret-key-env", "AWS_SECRET_ACCESS_KEY={}", _draw(_B64, 40), "AWS_SECRET_ACCESS_KEY="),
        _valued("aws-secret-key-json", '{{"SecretAccessKey": "{}", "Expiration": "2026-01-01"}}', _draw(_B64, 40),
                '{"SecretAccessKey": "'),
        _prefixed("github-classic", gh, _draw(_ALNUM, 36), 4, "git clone https://x-access-token:{}@github.com/a/b"),
        _prefixed("github-oauth", _p("gh", "o_"), _draw(_ALNUM, 36), 4, "Authorization: token {}"),
        _prefixed("github-user-to-server", _p("gh", "u_"), _draw(_ALNUM, 36), 4, "GH_TOKEN={}"),
        _prefixed("github-server-to-server", _p("gh", "s_"), _draw(_ALNUM, 36), 4, "token: {}"),
        _prefixed("github-refresh", _p("gh", "r_"), _draw(_ALNUM, 76), 4, "refresh={}"),
        _prefixed("github-fine-grained", _p("github", "_pat_"), _draw(_ALNUM, 22) + "_" + _draw(_ALNUM, 59), 4,
                  "the agent printed {} while debugging"),
        _prefixed("gitlab", _p("gl", "pat-"), _draw(_URLSAFE, 20), 4, "CI_TOKEN: {}"),
        _prefixed("slack-bot", _p("xo", "xb-"), f"{_draw(string.digits, 10)}-{_draw(string.digits, 13)}-"
                  f"{_draw(_ALNUM, 24)}", 0, "SLACK_BOT_TOKEN={}"),
        _prefixed("slack-user", _p("xo", "xp-"), f"{_draw(string.digits, 10)}-{_draw(string.digits, 13)}-"
                  f"{_draw(string.digits, 13)}-{_draw(_HEX, 32)}", 0, "client = WebClient(token='{}')"),
        _prefixed("slack-app-level", _p("xa", "pp-"), f"1-A0{_draw(_UPPER_DIGITS, 9)}-"
                  f"{_draw(string.digits, 13)}-{_draw(_HEX, 64)}", 0, "SLACK_APP_TOKEN={}"),
        _prefixed("slack-workspace-legacy", _p("xo", "xa-"), f"2-{_draw(string.digits, 11)}-{_draw(_ALNUM, 30)}", 0,
                  "legacy {}"),
        _prefixed("slack-rotating", _p("xo", "xe.xoxp-"), f"1-{_draw(_ALNUM, 140)}", 0, "access {}"),
        _prefixed("slack-refresh", _p("xo", "xe-"), f"1-{_draw(_ALNUM, 120)}", 0, "refresh {}"),
        _prefixed("slack-webhook", _p("https://hooks.", "slack.com/services/"),
                  f"T{_draw(_UPPER_DIGITS, 8)}/B{_draw(_UPPER_DIGITS, 8)}/{_draw(_ALNUM, 24)}", 0,
                  "curl -X POST {} -d '{{}}'"),
        _prefixed("discord-webhook", _p("https://discord.", "com/api/webhooks/"),
                  f"{_draw(string.digits, 18)}/{_draw(_URLSAFE, 68)}", 0, "DISCORD_HOOK={}"),
        _prefixed("stripe-live", _p("sk", "_live_"), _draw(_ALNUM, 24), 4, "stripe.api_key = '{}'"),
        _prefixed("stripe-restricted", _p("rk", "_live_"), _draw(_ALNUM, 99), 4, "STRIPE_KEY={}"),
        _prefixed("stripe-test", _p("sk", "_test_"), _draw(_ALNUM, 24), 4, "charge failed for key {}"),
        _prefixed("stripe-webhook", _p("wh", "sec_"), _draw(_ALNUM, 32), 4, "endpoint_secret = {}"),
        _prefixed("google-api-key", _p("AI", "za"), _draw(_URLSAFE, 35), 4, "maps?key={}&q=x"),
        _prefixed("openai-legacy", _p("s", "k-"), _draw(_ALNUM, 20) + "T3BlbkFJ" + _draw(_ALNUM, 20), 4,
                  "openai.api_key = {}"),
        _prefixed("openai-project", _p("sk-", "proj-"), _draw(_URLSAFE, 156), 4, "OPENAI_API_KEY={}"),
        _prefixed("openai-service-account", _p("sk-", "svcacct-"), _draw(_URLSAFE, 120), 4, "key {} leaked"),
        _prefixed("anthropic", _p("sk-", "ant-api03-"), _draw(_URLSAFE, 93) + "AA", 4,
                  "ANTHROPIC_API_KEY={}"),
        _prefixed("anthropic-admin", _p("sk-", "ant-admin01-"), _draw(_URLSAFE, 93) + "AA", 4, "admin: {}"),
        _prefixed("huggingface", _p("h", "f_"), _draw(_ALNUM, 34), 4, "HF_TOKEN={}"),
        _prefixed("npm", _p("np", "m_"), _draw(_ALNUM, 36), 4, "//registry.npmjs.org/:_authToken={}"),
        _prefixed("pypi", _p("py", "pi-"), "AgEIcHlwaS5vcmc" + _draw(_URLSAFE, 60), 4, "password = {}"),
        _prefixed("sendgrid", _p("S", "G."), _draw(_URLSAFE, 22) + "." + _draw(_URLSAFE, 43), 0, "key={}"),
        _prefixed("telegram-bot", _draw(string.digits[1:], 1) + _draw(string.digits, 9) + ":",
                  "AA" + _draw(_URLSAFE, 33), 4, "https://api.telegram.org/bot{}/getUpdates"),
        _prefixed("jwt", "eyJ", _jwt()[3:], 4, "Cookie: session={}"),
        _prefixed("bearer-opaque", "Bearer ", _draw(_URLSAFE, 40), 4, 'curl -H "Authorization: {}" https://api'),
        _valued("basic-auth", "Authorization: Basic {}",
                base64.b64encode(b"deploy:" + _draw(_ALNUM, 16).encode()).decode(), "Authorization: Basic "),
        _valued("postgres-url", "DATABASE_URL=postgresql+psycopg://shop:{}@db.internal:5432/shop",
                _draw(_ALNUM, 20), "DATABASE_URL=postgresql+psycopg://shop:"),
        _valued("redis-url", "redis://:{}@cache:6379/0", _draw(_ALNUM, 9), "redis://:"),
        _valued("amqp-url", "broker = amqp://app:{}@rabbit//", _draw(_ALNUM, 14), "broker = amqp://app:"),
        _valued("env-password", "DB_PASSWORD={}", _draw(_ALNUM, 14), "DB_PASSWORD="),
        _valued("env-password-quoted", 'DB_PASSWORD="{}"', "correct horse battery staple", 'DB_PASSWORD="'),
        _valued("yaml-password", "  password: {}", "hunter2", "  password: "),
        _valued("yaml-password-word", "    password: {}  # prod", "trustno", "    password: ", anywhere=False),
        _valued("json-password", '{{"user": "app", "password": "{}"}}', _draw(_ALNUM + "!@#", 18),
                '{"user": "app", "password": "'),
        _valued("ini-passwd", "passwd={}", _draw(_ALNUM, 10), "passwd="),
        _valued("toml-api-key", 'api_key = "{}"', _draw(_ALNUM, 32), 'api_key = "'),
        _valued("yaml-api-key", "api_key: {}", _draw(_HEX, 32), "api_key: "),
        _valued("secret-assignment", "secret={}", _draw(_ALNUM, 24), "secret="),
        _valued("token-assignment", "token={}", _draw(_HEX, 40), "token="),
        _valued("python-password", 'PASSWORD = "{}"', "s3cr3t!", 'PASSWORD = "'),
        _valued("python-annotated", "    password: str = '{}'", "hunter22", "    password: str = '"),
        _valued("cli-flag", "mysql -h db --password {} shop", "Tr0ub4dor3", "mysql -h db --password "),
        _valued("curl-user", "curl -u deploy:{} https://api.example.com", _draw(_ALNUM, 16), "curl -u deploy:"),
        _valued("cli-flag-equals", "psql --password={} -U app", "Tr0ub4dor3", "psql --password="),
        _valued("url-query", "GET /callback?code=1&access_token={}&state=x", _draw(_ALNUM, 30),
                "GET /callback?code=1&access_token="),
        _valued("log-line", "login failed for app password={} from 10.0.0.1", "hunter2",
                "login failed for app password="),
        _valued("header-api-key", "X-Api-Key: {}", _draw(_ALNUM, 32), "X-Api-Key: "),
        _valued("env-high-entropy", "CHECKOUT_SIGNING={}", _draw(_ALNUM, 32), "CHECKOUT_SIGNING=", anywhere=False),
        _valued("env-high-entropy-short", "export DD_APP={}", _draw(_ALNUM, 20), "export DD_APP=", anywhere=False),
        _valued("env-high-entropy-quoted", "WEBHOOK_SIG='{}'", _draw(_B64, 44), "WEBHOOK_SIG='", anywhere=False),
        _valued("diff-env-line", "+SENTRY_INGEST={}", _draw(_ALNUM, 28), "+SENTRY_INGEST=", anywhere=False),
    ]
    for kind in ("RSA ", "EC ", "DSA ", "OPENSSH ", "ENCRYPTED ", ""):
        block, body = pem_block(kind)
        header = f"{_p('-----', 'BEGIN ')}{kind}PRIVATE KEY-----\n"
        samples.append(SecretSample(name=f"pem-{kind.strip().lower() or 'pkcs8'}", text=f"key:\n{block}\nok",
                                    secret=body.split("\n")[0], shown=header))
    pgp_body = "\n".join(_draw(_B64, 64) for _ in range(10))
    pgp = _p("-----", "BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n", pgp_body,
             "\n=", _draw(_B64, 4), "\n-----END PGP PRIVATE KEY BLOCK-----")
    samples.append(SecretSample(name="pem-pgp", text=pgp, secret=pgp_body.split("\n")[3],
                                shown="-----BEGIN PGP PRIVATE KEY BLOCK-----\n"))
    block, body = pem_block("")
    service_account = json.dumps({
        "type": "service_account", "project_id": "shop-prod", "private_key_id": _draw(_HEX, 40),
        "private_key": block + "\n", "client_email": "deploy@shop-prod.iam.gserviceaccount.com",
    }, indent=2)
    samples.append(SecretSample(name="gcp-service-account", text=service_account, secret=body.split("\n")[0],
                                shown='"private_key": "-----BEGIN PRIVATE KEY-----'))
    return tuple(samples)


SECRETS: tuple[SecretSample, ...] = _build()

# Text that looks a little like a secret and must come back unchanged.
LOOKALIKES: tuple[tuple[str, str], ...] = (
    ("git-sha", "fix: revert da39a3ee5e6b4b0d3255bfef95601890afd80709 (broke checkout)"),
    ("short-sha", "HEAD is now at 4b84e6e Queue noise"),
    ("sha256", "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("env-git-sha", "GIT_COMMIT=da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    ("uuid", "request 123e4567-e89b-12d3-a456-426614174000 failed"),
    ("env-uuid", "REQUEST_ID=123e4567-e89b-12d3-a456-426614174000"),
    ("prose-password", "Reset your password: see vault"),
    ("prose-token", "The token expired, so the webhook returned 401."),
    ("prose-secret", "We rotate secrets weekly; see the runbook."),
    ("prose-bearer", "Use Bearer authentication for this endpoint."),
    ("code-form", 'password = request.form["password"]'),
    ("code-attribute", "token = self._token"),
    ("code-env", 'api_key = os.environ["API_KEY"]'),
    ("code-getenv", 'secret = os.getenv("SECRET")'),
    ("code-call", "token = create_token(user)"),
    ("code-kwarg", "conn = connect(user=user, password=password)"),
    ("code-dict", '    payload = {"password": password, "user": user}'),
    ("code-signature", "def check_password(password: str, token: Optional[str] = None) -> bool:"),
    ("code-fstring-header", 'headers = {"Authorization": f"Bearer {token}"}'),
    ("code-none", "token = None"),
    ("yaml-reference", "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}"),
    ("env-reference", "password: ${DB_PASSWORD}"),
    ("placeholder-angle", "PASSWORD=<your-password>"),
    ("placeholder-stars", 'password: "********"'),
    ("placeholder-null", '{"token": null, "api_key": ""}'),
    ("curl-reference", 'curl -H "Authorization: Bearer $TOKEN" https://api.example.com'),
    ("max-tokens", "max_tokens=4096 token_type=bearer"),
    ("token-url", "TOKEN_URL=https://oauth2.googleapis.com/token"),
    ("password-min-length", "password_min_length: 12"),
    ("docker-login", "echo $CR_PAT | docker login ghcr.io --password-stdin -u bot"),
    ("env-app-name", "APP_NAME=hotfix-bot"),
    ("env-host", "DATABASE_HOST=db.internal.example.com"),
    ("env-image", "IMAGE=ghcr.io/acme/shop:v1.24.3"),
    ("env-path", "PATH=/usr/local/bin:/usr/bin:/bin"),
    ("env-timezone", "TZ=Europe/Amsterdam"),
    ("env-date", "BUILD_DATE=2024-01-15T10:30:00Z"),
    ("env-version", "VERSION=1.24.3-beta.2+build.20240115"),
    ("env-dotted-class", "MAIN_CLASS=com.acme.shop.ShopApplication2"),
    ("env-flags", "FEATURE_FLAGS=checkout_v2,new_cart,fast_search"),
    ("env-state-dir", "HOTFIX_STATE_DIR=/var/lib/hotfix-bot/state"),
    ("url-no-password", "git clone https://deploy@github.com/acme/shop.git"),
    ("url-port", "http://localhost:8080/healthz?probe=1"),
    ("ssh-public-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG2k1vQ8f3w0q4Jc6dXb user@laptop"),
    ("lockfile-integrity",
     '      "integrity": "sha512-Zx3k9q8vWm2LrT5pN7bY4cF1hJ6gD0sK9eR2uI8oP3aQ5wE7z1Xc4Vb6Nm8Lk0Jh2G==",'),
    ("css-class", '<div class="sk-loading-spinner-container-large">'),
    ("aws-prose", "AKIA keys belong in the vault, not in .env"),
    ("telegram-chat", "channels = [\"telegram:-1001234567\", \"slack:C0123ABC\"]"),
    ("slack-ids", "approvers = [\"slack:U0123ABCD\", \"telegram:222\"]"),
    ("pem-public", "-----BEGIN PUBLIC KEY----- is fine to share"),
    ("pem-in-code", 'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    return parse(line)'),
    ("time", "deadline 12:30:45 UTC"),
    ("python-type", "password: str"),
    ("secrets-inherit", "    secrets: inherit"),
    ("cookie-age", "cookie_max_age: 3600"),
    # Code and docs from real libraries that an early version masked.
    ("attribute-assignment", "        self._app_token = app_token"),
    ("annotated-assignment", "        self.provider_token: str | None = provider_token"),
    ("attribute-comparison", '        if token.kind == "word" and token.word is not None:'),
    ("int-comparison", "    if first_token == 0:"),
    ("code-call-line", "    sub_command = _SUB_COMMANDS.get(words.word(0).casefold())"),
    ("type-annotation", "    step_configuration: Optional[List[WorkflowV2StepConfiguration]]"),
    ("type-annotation-class", "    _replace_token: AttributeEventToken"),
    ("format-template", '        headers.update({"Authorization": "Bearer {}".format(token)})'),
    ("percent-template", '    raise ValueError("Invalid token: %r" % token)'),
    ("label-string", '    upgrade_token: str = "upgrades",'),
    ("constant-name-string", '    REVISION_SCRIPT_TOKEN = "REVISION_SCRIPT_FILENAME"'),
    ("docstring-hyphen", "        app_token: App-level token"),
    ("docstring-pass", "    request_photo (:obj:`bool`): Optional. Pass :obj:`True` to request the chat's photo."),
    ("docstring-flag", "    information can be provided via the --username and --password options"),
    ("numeric-constant", "_COOKIE_QUOTA_TOTAL = 3000"),
    ("rich-markup", '    "--auth [cyan]<USER PASS>",'),
)
