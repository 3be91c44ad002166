"""Secret redaction over a corpus of fake secrets in every supported format, and look-alikes that must survive."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.render.redact import REDACTED, contains_secret, redact, redact_lines
from tests.unit.secret_corpus import LOOKALIKES, MARKER, SECRETS, SecretSample, pem_block

SECRET_IDS = [s.name for s in SECRETS]
LOOKALIKE_IDS = [name for name, _ in LOOKALIKES]


def test_marker_matches_the_corpus() -> None:
    assert REDACTED == MARKER


@pytest.mark.parametrize("sample", SECRETS, ids=SECRET_IDS)
def test_every_secret_is_masked_and_stays_recognisable(sample: SecretSample) -> None:
    out = redact(sample.text)
    assert sample.secret not in out
    assert sample.shown + MARKER in out
    assert contains_secret(sample.text)


@pytest.mark.parametrize("sample", SECRETS, ids=SECRET_IDS)
def test_redaction_is_idempotent(sample: SecretSample) -> None:
    once = redact(sample.text)
    assert redact(once) == once
    assert not contains_secret(once)


@pytest.mark.parametrize(
    "setting",
    [
        "Agent: I found the key {} in config.py, rotating it.",
        "+    API = '{}'",
        "-{}",
        '{{"output": "{}"}}',
        "  - value: {}\n  - other: 1",
        "stderr: error: auth failed ({})\nexit 1",
        "```\n{}\n```",
    ],
    ids=["prose", "diff-added", "diff-removed", "json", "yaml-list", "command-output", "code-fence"],
)
@pytest.mark.parametrize("sample", [s for s in SECRETS if s.anywhere and "\n" not in s.text], ids=lambda s: s.name)
def test_secrets_are_masked_wherever_they_are_planted(sample: SecretSample, setting: str) -> None:
    text = setting.format(sample.text)
    assert sample.secret not in redact(text)


BARE_TOKENS = [s for s in SECRETS if "\n" not in s.secret and s.secret.startswith(s.shown[:3])]


@pytest.mark.parametrize("sample", BARE_TOKENS, ids=lambda s: s.name)
def test_bare_tokens_on_removed_and_added_diff_lines_are_masked(sample: SecretSample) -> None:
    out = redact(f"-{sample.secret}\n+{sample.secret}")
    assert sample.secret not in out
    assert out.count(MARKER) == 2


@pytest.mark.parametrize("sample", [s for s in SECRETS if s.anywhere], ids=lambda s: s.name)
def test_secrets_right_after_a_diff_marker_are_masked(sample: SecretSample) -> None:
    added = "\n".join("+" + line for line in sample.text.split("\n"))
    removed = "\n".join("-" + line for line in sample.text.split("\n"))
    assert sample.secret not in redact(f"{added}\n{removed}")


@pytest.mark.parametrize(("name", "text"), LOOKALIKES, ids=LOOKALIKE_IDS)
def test_lookalikes_are_left_alone(name: str, text: str) -> None:
    assert redact(text) == text
    assert not contains_secret(text)


def test_private_key_block_collapses_to_one_masked_line() -> None:
    block, _ = pem_block("RSA ")
    out = redact(f"before\n{block}\nafter")
    assert out == "before\n-----BEGIN RSA PRIVATE KEY-----\n" + MARKER + "\n-----END RSA PRIVATE KEY-----\nafter"


def test_private_key_in_a_diff_keeps_the_markers_of_old_and_new_bodies() -> None:
    old_block, old_body = pem_block("EC ", lines=3)
    _, new_body = pem_block("EC ", lines=3)
    lines = old_block.split("\n")
    diff = "\n".join(
        [" " + lines[0]] + ["-" + b for b in old_body.split("\n")] + ["+" + b for b in new_body.split("\n")]
        + [" " + lines[-1]]
    )
    out = redact(diff)
    assert out.split("\n") == [" " + lines[0], "-" + MARKER, "+" + MARKER, " " + lines[-1]]


def test_indented_yaml_key_block_is_masked() -> None:
    block, body = pem_block("OPENSSH ", lines=4)
    text = "deploy_key: |\n" + "\n".join("  " + line for line in block.split("\n"))
    out = redact(text)
    assert all(line not in out for line in body.split("\n"))
    assert "-----END OPENSSH PRIVATE KEY-----" in out


def test_unterminated_key_block_masks_the_body_it_has() -> None:
    block, body = pem_block("", lines=5)
    truncated = "\n".join(block.split("\n")[:4])  # output cut off mid-key
    out = redact(truncated + "\n(output truncated)")
    assert all(line not in out for line in body.split("\n"))
    assert out.endswith("\n(output truncated)")


def test_key_body_without_its_header_is_still_masked() -> None:
    _, body = pem_block("RSA ", lines=4)
    out = redact("\n".join("+" + line for line in body.split("\n")))
    assert all(line not in out for line in body.split("\n")[:4])


def test_redact_lines_keeps_lines_one_to_one() -> None:
    block, _ = pem_block("RSA ", lines=6)
    lines = ["+" + line for line in block.split("\n")] + ["+token=" + "Zx8kP2mQ9vR4tY7wB3nL6cJ1", "+ok"]
    out = redact_lines(lines)
    assert len(out) == len(lines)
    assert out[0] == lines[0]
    assert out[1:-3] == ["+" + MARKER] * (len(lines) - 4)
    assert out[-3] == lines[-3]
    assert out[-2] == "+token=Zx8k" + MARKER
    assert out[-1] == "+ok"


def test_short_values_show_nothing_of_themselves() -> None:
    assert redact("password=hunter2") == "password=" + MARKER
    assert redact("postgres://app:hunter2@db/shop") == "postgres://app:" + MARKER + "@db/shop"


def test_prose_after_a_sensitive_word_is_a_documented_non_secret() -> None:
    assert redact("password: see vault") == "password: see vault"
    assert redact("password: hunter2 please") == "password: " + MARKER + " please"
    assert redact('password: "see vault"') == 'password: "' + MARKER + '"'


def test_redaction_keeps_everything_else_byte_for_byte() -> None:
    text = "line one\r\n\ttabbed\n\nunicode: café ✓\n"
    assert redact(text) == text


ADVERSARIAL = {
    "one-long-word": "a" * 1_000_000,
    "jwt-starts": "eyJ" * 333_333,
    "jwt-segments": "eyJaaaaaaaaa." * 76_923,
    "aws-prefixes": "AKIA" * 250_000,
    "assignment-chain": "password=" * 111_111,
    "key-then-spaces": ("password" + " " * 50) * 17_241,
    "dotted": "a." * 500_000,
    "pem-headers": "-----BEGIN PRIVATE KEY-----" * 37_037,
    "pem-header-lines": "-----BEGIN PRIVATE KEY-----\n" * 35_714,
    "schemes": "https://" * 125_000,
    "userinfo": "a://b:" * 166_666,
    "colons": "a:" * 500_000,
    "telegram-ids": "1234567:" * 125_000,
    "authorization": "Authorization: " * 66_666,
    "backslashes": 'password="' + "\\" * 1_000_000,
    "open-quotes": "password: '" * 90_909,
    "annotation": ("password: " + "a" * 59 + " ") * 14_285,
    "newlines": "\n" * 1_000_000,
    "env-lines": "KEY=Ab1Cd2Ef3Gh4Ij5Kl6\n" * 45_454,
    "token-run": "ghp_" + "a" * 1_000_000,
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_adversarial_megabyte_inputs_complete(text: str) -> None:
    out = redact(text)  # completing at all (under the suite's timeout) is the test: no catastrophic backtracking
    assert isinstance(out, str)
    assert redact(out) == out


@given(st.text(max_size=400))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_never_raises_and_is_idempotent_on_arbitrary_text(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


SECRET_TOKENS = [s for s in SECRETS if "\n" not in s.text]


@given(
    before=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60),
    after=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60),
    sample=st.sampled_from(SECRET_TOKENS),
)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_a_secret_line_between_arbitrary_lines_is_masked(before: str, after: str, sample: SecretSample) -> None:
    text = f"{before}\n{sample.text}\n{after}"
    assert sample.secret not in redact(text)


@given(st.sampled_from(SECRET_TOKENS), st.integers(min_value=1, max_value=6))
@settings(max_examples=100)
def test_repeated_secrets_are_all_masked(sample: SecretSample, times: int) -> None:
    text = "\n".join([sample.text] * times)
    out = redact(text)
    assert sample.secret not in out
    assert out.count(MARKER) >= times


FRAGMENTS = [
    "password", "token", "secret", "api_key", "Authorization", "Bearer", "Basic", "--password", "-u", "export ",
    "=", ": ", ":", "==", "=>", ":=", " ", "\t", "\n", "\n-", "\n+", '"', "'", "\\", "\\n", "$", "${X}", "@", "://",
    "postgres", "user", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "MIIEow", "eyJ", ".",
    "ghp_", "xoxb-", "sk-", "sk_live_", "AKIA", "AIza", "123456789:AA", "…[redacted]", "[redacted]", "…", "#",
    "Zx8kP2mQ9vR4tY7wB3nL6cJ1", "A" * 40, "hunter2", "see vault", ";", ",", "(", "[", "?", "&",
] + [s.secret for s in SECRETS[:20]]


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=40))
@settings(max_examples=600)
def test_fragments_of_secret_syntax_never_break_idempotence(parts: list[str]) -> None:
    text = "".join(parts)
    once = redact(text)
    assert redact(once) == once
    lines = text.split("\n")
    assert len(redact_lines(lines)) == len(lines)


@pytest.mark.parametrize("sample", [s for s in SECRETS if not s.anywhere or "\n" in s.text], ids=lambda s: s.name)
def test_windows_line_endings_do_not_hide_line_based_secrets(sample: SecretSample) -> None:
    text = "\r\n".join(["first", *sample.text.split("\n"), "last"])
    out = redact(text)
    assert sample.secret not in out
    assert out.endswith("\r\nlast")
