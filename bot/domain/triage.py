"""Intake triage: is this request a hotfix? Pure, standard library only.

A hotfix is urgent, user-visible breakage small enough for one branch. ``triage`` reads the description (Slack
escapes undone, lowercased, whitespace collapsed) and decides, first rule that fires wins:

1. **reject** a cleanup request: refactors, rewrites/overhauls, clean-ups, renames of code things, code
   formatting/linting, "tech debt", dependency upgrades for their own sake. Any priority, any mode: p0 and
   ``mode:diagnose`` never admit a refactor. A cleanup word does not count when it names the cause or the
   broken feature instead of the request: "500s since the refactor", "the refactor broke login", "users can't
   rename files", "the cleanup job deletes live sessions". Converting the codebase, splitting the monolith,
   swapping a library ("replace moment.js with date-fns") and version migrations count as rewrites.
2. **hold** a design question ("should we …", "what's the best way …", "thoughts on …", "trade-offs").
3. **hold** feature work: "add support for", "new endpoint", "implement …", "feature request"; softer wishes
   ("would be nice", "allow users to", "I want") only when no symptom is named.
4. **hold** work too big for one branch: "the whole codebase", "every module", or three or more listed items
   that each name a symptom (numbered steps to reproduce one problem are fine).
5. **vagueness bar.** A *symptom* is an error code (5xx, or 4xx said as a status), an error/exception, crash,
   timeout/hang/slowness, outage, failure/regression, "can't …", or data shown wrong (wrong, missing,
   duplicate, "instead of", charged twice …). A *subject* is any other meaningful word ("checkout", "webhook").
   Normally both are needed ("checkout broken?" passes, "fix it" and "it's broken" do not). p0 or
   ``mode:diagnose`` lowers the bar to either one (diagnose makes no edits; p0 says someone is on fire).
   Anything else is held for the triage owner with a reason saying what to add.

Held requests wait in ``triage`` for the triage owner, who can accept or reject them; nothing is lost by
holding. Text in other languages finds no symptom and is held, not rejected.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

from bot.domain.values import Mode, Priority

__all__ = ["TriageResult", "triage"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TriageResult:
    outcome: Literal["accept", "hold", "reject"]
    reason: str  # one line a person reads
    signals: tuple[str, ...]  # what was noticed: ("error code 500", "user-visible", …)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Rule:
    label: str
    pattern: re.Pattern[str]
    # When True, a match is ignored if nearby words show it names a cause or a broken feature.
    exemptable: bool = True


def _rule(label: str, pattern: str, *, exemptable: bool = True) -> _Rule:
    return _Rule(label=label, pattern=re.compile(pattern), exemptable=exemptable)


_CODE_THINGS = (
    r"(?:variables?|vars?|functions?|methods?|class(?:es)?|modules?|files?|fields?|columns?|tables?|"
    r"params?|parameters?|props?|components?|packages?|folders?|directories|endpoints?|routes?|helpers?)"
)

# Rule 1: cleanups. Label -> what the reason calls them.
_CLEANUPS = (
    _rule("refactors", r"\brefactor\w*"),
    _rule(
        "rewrites",
        r"\b(?:rewrite|rewriting)\s+(?:the|our|this|that|all|it)\b|\boverhaul\w*|\brestructur\w*|"
        r"\breorgani[sz]\w*|\bre-?architect\w*|\bmoderni[sz]\w*|\bconvert\w* (?:the |our )?(?:codebase|code|"
        r"project|app|repo)\b|\bsplit (?:up )?(?:the |our )?(?:monolith|module|class|file)|"
        r"\bmigrat\w*\s+(?:the\s+|our\s+)?(?:\S+\s+){0,2}?(?:to|from)\s+\S+\s+v?\d|"
        r"\breplac\w*\s+[\w@/-]+\.?(?:js|py)?\s+with\s+[\w.@/-]+$",
    ),
    _rule(
        "cleanups",
        r"\bclean(?:ing)?[ -]?ups?\b(?!\s+(?:jobs?|tasks?|cron|scripts?|workers?|routines?|process|service))|"
        r"\btidy(?:ing)?(?: up)?\b|\bdead code\b|\bremov\w* unused\b|\bunused (?:imports?|code|variables?)\b",
    ),
    _rule(
        "renames",
        rf"\brenam(?:e|ing)\s+(?:the\s+|all\s+|our\s+|this\s+)?(?:\S+\s+){{0,2}}?{_CODE_THINGS}\b|"
        r"\brenam(?:e|ing)\s+[\w.]+\s+to\s+[\w.]+",
    ),
    _rule(
        "formatting and style changes",
        r"\breformat\w*|\b(?:code|source) (?:formatting|style)\b|\bformat(?:ting)? (?:the |our )?code\w*|"
        r"\blint(?:ing|er)?\b|\b(?:black|prettier|isort|gofmt|rustfmt|eslint --fix)\b|\btype hints\b|"
        r"\btypos? in (?:the )?(?:comments?|docs?|docstrings?)\b",
    ),
    _rule("tech debt", r"\btech(?:nical)?[- ]debt\b|\bcode quality\b|\bcode smells?\b"),
    _rule(
        "dependency upgrades",
        r"\b(?:upgrad|bump|updat)\w*\s+(?:the\s+|our\s+|all\s+)?(?:npm\s+|pip\s+|python\s+|node\s+|js\s+|"
        r"third[- ]party\s+|frontend\s+|backend\s+|outdated\s+|old\s+)?(?:deps|dependenc\w*|packages|librar\w*|"
        r"requirements|lock ?files?|node[_ ]modules|gems|crates)\b|"
        r"\b(?:upgrad|bump)\w*\s+[\w.@/-]+\s+(?:to|from)\s+v?\d|\bdependency (?:upgrade|bump|update)s?\b",
    ),
)

_DESIGN = (
    _rule(
        "design question",
        r"^(?:should we|shall we|how should we|how do we want|what(?:'s| is) the best way|which (?:approach|"
        r"option|library|framework|database|is better)|do we (?:want|need) to|is it (?:better|worth)|"
        r"would it be better|thoughts on|rfc\b|proposal\b)|\b(?:architecture|design) (?:question|decision|"
        r"discussion|review)\b|\bwhat do (?:you|we|people) think\b|\bpros and cons\b|\btrade-?offs?\b",
        exemptable=False,
    ),
)

_FEATURES_STRONG = (
    _rule(
        "feature request",
        r"\badd(?:ing)? (?:support for|an? (?:new )?(?:option|setting|endpoint|button|toggle|flag|page|screen|"
        r"field|feature|api|filter|export|integration|report|column|tab)|new)\b|\bnew (?:feature|endpoint|api|"
        r"page|screen|setting|option|integration|report|dashboard)s?\b|\bimplement(?:s|ing)?\b|"
        r"\bfeature requests?\b|\bsupport for\b",
    ),
)

_FEATURES_SOFT = (
    _rule(
        "feature wish",
        r"\bwould be (?:nice|great|good|cool)\b|\bnice to have\b|\bability to\b|\ballows? (?:users|customers|"
        r"admins|people|us) to\b|\blet (?:users|customers|admins|people) \w+|\benable (?:users|customers) to\b|"
        r"\bcan we (?:add|have|get)\b|\bi(?:'d| would)? (?:like|want|wish)\b",
    ),
)

_BROAD = (
    _rule(
        "too broad",
        r"\b(?:entire|whole) (?:codebase|code base|code|repo|repository|project|backend|frontend)\b|"
        r"\b(?:across|throughout) the (?:codebase|code|repo)\b|\b(?:all|every) (?:files?|modules?|services?)\b",
        exemptable=False,
    ),
)

_NEGATION = r"(?:not|never|no longer|(?:is|are|was|were|does|do|did|has|have|had|won)n'?t)"
_EXPECTED_VERB = (
    r"(?:persist|sav|load|updat|refresh|arriv|finish|complet|submit|send|sent|show|appear|open|respond|run|ran|"
    r"start|sync|redirect|render|display|work|process|trigger|fir|match|appl|accept|connect|deliver|receiv)"
)
_COUNT_AFTER = (  # "500 users", "500ms", "500 %" are amounts, not status codes
    r"(?!\s*(?:users?|customers?|people|orders?|items?|rows?|records?|ms|s|seconds?|minutes?|mb|gb|kb|k)\b|\s*%)"
)
_SYMPTOMS = (
    _rule("error code", rf"(?<![$€£\d.,:/=])\b(?:5\d\d|5xx)(?:s|'s)?\b{_COUNT_AFTER}", exemptable=False),
    _rule(
        "error code",
        r"\b(?:http|status|error|code|returns?|returning|got|getting|gives?|giving|responds? with|throws?)\s+"
        r"(?:an?\s+|code\s+)?4\d\d\b|\b4\d\d(?:s|'s)?\s+(?:errors?|responses?|status|page|not found|forbidden|"
        r"unauthori[sz]ed)\b",
        exemptable=False,
    ),
    _rule("crash", r"\bcrash\w*|\bpanic\w*|\bsegfault\w*|\bcore dump\w*|\boom\b|\bout of memory\b", exemptable=False),
    _rule("exception", r"\bexceptions?\b|\btraceback\b|\bstack ?trace\b|\b\w+(?:error|exception)\b", exemptable=False),
    _rule(
        "error",
        r"\berrors?\b(?![ -](?:handling|handlers?|reporting|tracking|logging))|\berroring\b|"
        r"\b(?:bugs?|buggy|glitch\w*)\b",
        exemptable=False,
    ),
    _rule("timeout", r"\btime(?:s|d)?[ -]?outs?\b|\btiming out\b|\bdeadlock\w*", exemptable=False),
    _rule(
        "hang or slowness",
        r"\bhang(?:s|ing)?\b|\bhung\b|\bfreez(?:e|es|ing)\b|\bfrozen\b|\bstuck\b|\bslow\w*|\blatency\b|"
        r"\bspinn(?:er|ing)\b|\binfinite (?:loop|spinner|redirect)s?\b|\bredirect loop\b|"
        r"\btakes? (?:over )?\d+\s*(?:s|secs?|seconds?|mins?|minutes?)\b",
        exemptable=False,
    ),
    _rule(
        "outage",
        r"\b(?:is|are|went|goes|been|go|site|app|api|prod(?:uction)?) down\b|\boutage\b|\bunreachable\b|"
        r"\bunavailable\b|\bnot (?:loading|responding|reachable|starting)\b|\bwon'?t (?:load|start|open)\b|"
        r"\bblank (?:page|screen)\b|\bwhite screen\b",
        exemptable=False,
    ),
    _rule(
        "failure",
        r"\bfail(?:s|ed|ing|ure|ures)?\b|\bbroken\b|\bbreak(?:s|ing)?\b|\bbroke\b|\bnot working\b|"
        r"\bdo(?:es)?n'?t work\b|\bdo(?:es)? not work\b|\bstopped working\b|\bno longer\b|\bregress\w*|"
        r"\bdoes nothing\b|\bnothing happens\b|\bdo(?:es)?n'?t do anything\b|\bgr[ae]yed out\b|"
        r"\breject\w* (?:valid|legit\w*|correct|good|all)\b|\bloop(?:s|ing)? back\b|"
        rf"\b{_NEGATION}\s+(?:\w+\s+)?{_EXPECTED_VERB}\w*",
        exemptable=False,
    ),
    _rule(
        "users blocked",
        r"\bcan'?t\b|\bcannot\b|\bcan not\b|\bunable to\b|\bcould(?:n'?t| not)\b|\bwon'?t let\b|"
        r"\bimpossible to\b|\bblock(?:s|ed)\b",
        exemptable=False,
    ),
    _rule(
        "data shown wrong",
        r"\bwrong\b|\bincorrect\w*|\binstead of\b|\bmissing\b|\bduplicat\w*|\btwice\b|"
        r"\bdouble[- ](?:charg|pa|bill|book|sen)\w*|\bblank\b|\bstays? (?:at|empty|blank)\b|"
        r"\bno (?:results|data|response|emails?|orders?|items?|output)\b|\b(?:returns?|shows?) nothing\b|"
        r"\bexpire[sd]? (?:immediately|instantly|right away|too (?:early|soon))\b|"
        r"\bnegative\b|\bnan\b|\bnull\b|\bundefined\b|\bcorrupt\w*|\bdata loss\b|\bmismatch\w*|\bdisappear\w*|"
        r"\bnot (?:showing|shown|displayed|saved|sent|received|updating|updated|delivered)\b|\blost\b|"
        r"\bdelet(?:es|ed|ing)\b|\bwip(?:es|ed|ing)\b|\blogged out\b|\blogs? (?:\w+ )?out\b",
        exemptable=False,
    ),
    _rule(
        "anomaly",
        r"\bdrop(?:s|ped)\b|\bspik(?:e|es|ed|ing)\b|\bplummet\w*|\bsurg(?:e|es|ed|ing)\b",
        exemptable=False,
    ),
    _rule(
        "security",
        r"\bleak\w*|\bexposed?\b|\bxss\b|\bsql injection\b|\bvulnerab\w*|\bcve-\d|"
        r"\bother (?:users|customers|people|accounts)'?s?\b",
        exemptable=False,
    ),
)

_USER_VISIBLE = re.compile(
    r"\b(?:users?|customers?|clients?|buyers?|merchants?|visitors?|subscribers?|people|everyone|nobody|prod|"
    r"production|live|website|site|app|checkout|cart|basket|login|log ?in|sign[- ]?(?:in|up|on)|signups?|sso|"
    r"password|sessions?|accounts?|profiles?|payments?|pay|billing|invoices?|orders?|subscriptions?|emails?|notifications?|dashboard|"
    r"home ?page|landing page|search|api|webhooks?|mobile|ios|android|page|screen)\b"
)
_URGENT = re.compile(
    r"\b(?:urgent|asap|right now|immediately|outage|sev ?[012]|incident|on fire|all users|every(?:one|body)|"
    r"nobody can|revenue|blocking|blocker)\b"
)

# Words that do not say *what* is broken.
_NOT_A_SUBJECT = frozenset(
    """a an the is are was were be been being am on in at of to for from with and or but it its it's this that
    these those there here our my your their we i you they he she me us them what why how when where who which
    fix fixed fixes fixing please pls plz help thanks thx urgent asap again now still just really very some
    something anything everything nothing thing things stuff issue issues problem problems weird odd strange
    work works working worked check look see someone somebody anyone need needs needed should could would can
    will do does did done not no yes ok okay hi hey hello all any get got make made go going seems seem like
    today yesterday tonight soon quick quickly also too so if then than as by up down out over about""".split()
)
_WORD = re.compile(r"[a-z0-9][a-z0-9_'./-]*")
_STATUS_CODE = re.compile(r"[45]\d\d")
_SLACK_ANGLE = re.compile(r"<(?:[^|<>]*\|)?([^<>]*)>")
_MAX_READ_CHARS = 8000  # a long file-lane description is judged on its opening
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*•]|\d{1,2}[.)])[ \t]+(\S.*)$", re.MULTILINE)
_CAUSE_BEFORE = frozenset(
    """after since from by during caused because recent last latest yesterday's today's new old no not
    can't cant cannot unable fail fails failing failed won't wont doesn't doesnt didn't didnt longer""".split()
)
_CAUSE_AFTER = re.compile(  # "the refactor broke login": the clean-up word names the cause, not the request
    r"^(?:\S+\s+){0,3}?(?:broke|broken|breaks|caused|causes|introduced|regress\w*|crash(?:es|ed)|fail(?:s|ed)|"
    r"stopped|(?:is|are|went) down)\b"
)


def triage(*, description: str, priority: Priority, mode: Mode) -> TriageResult:
    """Decide whether ``description`` is a hotfix: accept, hold for the triage owner, or reject."""
    text = _normalised(description)
    found_cleanup = _first_match(_CLEANUPS, text)
    symptoms = _symptoms(text)
    if found_cleanup is not None:
        return _reject_cleanup(found_cleanup, bool(symptoms))
    held = _held_for_shape(text, description[:_MAX_READ_CHARS], bool(symptoms))
    if held is not None:
        return held
    return _vagueness_bar(text, symptoms, priority=priority, mode=mode)


def _normalised(description: str) -> str:
    text = _SLACK_ANGLE.sub(lambda m: m.group(1), html.unescape(description[:_MAX_READ_CHARS]))
    text = text.replace("\u2019", "'").replace("\u2018", "'").casefold()
    return " ".join(text.split())


def _first_match(rules: tuple[_Rule, ...], text: str) -> tuple[str, str] | None:
    """(label, matched words) of the first rule that matches and is not exempt by its neighbours."""
    for rule in rules:
        for match in rule.pattern.finditer(text):
            if not (rule.exemptable and _names_a_cause(text, match.start(), match.end())):
                return rule.label, match.group().strip()
    return None


def _names_a_cause(text: str, start: int, end: int) -> bool:
    """Only words of the same sentence count ("Refactor billing. FAILED" asks for a refactor)."""
    before = re.split(r"[.!?;]\s", text[:start])[-1]
    after = re.split(r"[.!?;](?:\s|$)", text[end:], maxsplit=1)[0]
    words = [word.strip('.,;:!?()"') for word in before.split()[-3:]]
    return any(word in _CAUSE_BEFORE for word in words) or bool(_CAUSE_AFTER.match(after.lstrip(" ,")))


def _symptoms(text: str) -> list[tuple[str, str, tuple[int, int]]]:
    """Every symptom found: (label, matched words, span)."""
    return [(rule.label, match.group(), match.span()) for rule in _SYMPTOMS for match in rule.pattern.finditer(text)]


def _reject_cleanup(found: tuple[str, str], has_symptom: bool) -> TriageResult:
    label, words = found
    signals = (f"{label}: '{_short(words)}'",)
    verdict = "tech debt is not hotfix work" if label == "tech debt" else f"{label} are not hotfixes"
    if has_symptom:
        reason = f"{verdict}: file the breakage on its own, without the clean-up"
        return TriageResult(outcome="reject", reason=reason, signals=(*signals, "symptom named too"))
    return TriageResult(outcome="reject", reason=f"{verdict}: file a normal ticket", signals=signals)


def _held_for_shape(text: str, description: str, has_symptom: bool) -> TriageResult | None:
    """Rules 2-4: design questions, feature work, work too big for one branch."""
    design = _first_match(_DESIGN, text)
    if design is not None:
        reason = "this reads like a design question: the triage owner will decide (or discuss it in the channel)"
        return _hold(reason, f"design question: '{_short(design[1])}'")
    feature = _first_match(_FEATURES_STRONG, text) or (None if has_symptom else _first_match(_FEATURES_SOFT, text))
    if feature is not None:
        reason = "this reads like feature work, not a hotfix: the triage owner will decide"
        return _hold(reason, f"feature work: '{_short(feature[1])}'")
    broad = _first_match(_BROAD, text)
    if broad is not None:
        reason = "too big for one branch: ask for the smallest urgent fix"
        return _hold(reason, f"broad scope: '{_short(broad[1])}'")
    broken_items = [item for item in _LIST_ITEM.findall(description) if _symptoms(_normalised(item))]
    if len(broken_items) >= 3:  # three listed breakages; numbered steps to reproduce one are fine
        return _hold("several problems in one request: file one hotfix each", "several listed problems")
    return None


def _hold(reason: str, *signals: str) -> TriageResult:
    return TriageResult(outcome="hold", reason=reason, signals=signals)


def _vagueness_bar(
    text: str, symptoms: list[tuple[str, str, tuple[int, int]]], *, priority: Priority, mode: Mode
) -> TriageResult:
    subject = _subject_words(text, [span for _, _, span in symptoms])
    signals = _accept_signals(text, symptoms, subject, priority=priority, mode=mode)
    lowered = priority is Priority.P0 or mode is Mode.DIAGNOSE
    if (symptoms and subject) or (lowered and (symptoms or subject)):
        return TriageResult(outcome="accept", reason="accepted: " + ", ".join(signals[:3]), signals=signals)
    if symptoms:
        reason = "too vague to act on: say where it breaks (which page, endpoint or job)"
    elif subject:
        reason = "no symptom named: say what users see going wrong (an error, a crash, wrong data)"
    else:
        reason = "too vague to act on: say what is broken and how it shows (an error, a page, who is affected)"
    return TriageResult(outcome="hold", reason=reason, signals=(*signals, "vague"))


def _subject_words(text: str, symptom_spans: list[tuple[int, int]]) -> list[str]:
    kept = list(text)
    for start, end in symptom_spans:
        kept[start:end] = " " * (end - start)
    words = (word.strip("'./-") for word in _WORD.findall("".join(kept)))
    return [word for word in words if len(word) > 1 and word not in _NOT_A_SUBJECT]


def _accept_signals(
    text: str,
    symptoms: list[tuple[str, str, tuple[int, int]]],
    subject: list[str],
    *,
    priority: Priority,
    mode: Mode,
) -> tuple[str, ...]:
    signals: list[str] = []
    if priority is Priority.P0:
        signals.append("p0")
    for label, words, _ in symptoms:
        code = _STATUS_CODE.search(words) if label == "error code" else None
        shown = f"error code {code.group()}" if code else label
        if shown not in signals:
            signals.append(shown)
    if _USER_VISIBLE.search(text):
        signals.append("user-visible")
    if _URGENT.search(text):
        signals.append("urgent")
    if mode is not Mode.PATCH:
        signals.append(f"mode:{mode.value}")
    if subject and not symptoms:
        signals.append(f"about: {_short(' '.join(subject[:3]))}")
    return tuple(signals)


def _short(words: str, limit: int = 40) -> str:
    return words if len(words) <= limit else words[: limit - 1] + "…"
