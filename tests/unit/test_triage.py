"""Intake triage, table-driven with realistic incident texts (both ways)."""

from __future__ import annotations

import pytest

from bot.domain.triage import TriageResult, triage
from bot.domain.values import Mode, Priority


def judge(description: str, priority: Priority = Priority.P1, mode: Mode = Mode.PATCH) -> TriageResult:
    return triage(description=description, priority=priority, mode=mode)


ACCEPTED = [
    "Checkout returns 500 on the pay page since deploy 412",
    "checkout broken?",
    "Users can't log in with Google SSO, they get a redirect loop",
    "Stripe webhook handler throws KeyError: 'customer' and orders stay unpaid",
    "Prices show in USD instead of EUR for German customers",
    "Customers are charged twice when they double-click Pay",
    "/api/orders times out after 30s for accounts with many orders",
    "The iOS app crashes on launch after the 3.2 release",
    "Password reset emails are not sent",
    "Search page shows a blank screen on Safari",
    "TypeError: cannot read properties of undefined (reading 'total') on the cart page",
    "Login 502s since 14:00",
    "Dashboard shows negative revenue numbers",
    "Invoices page is very slow for 500 users",
    "The refactor broke login: every request 500s",
    "Checkout 500s since the refactor of the pricing module",
    "Users can't rename their files anymore",
    "The cleanup job deletes active sessions",
    "nginx rewrite rule sends /pricing to a 404 page",
    "signup form does nothing when you press Submit",
    "orders API returns 503 under load",
    "Mobile app: cart total is wrong when a coupon is applied",
    "Regression: PDF export of invoices is empty since yesterday",
    "NullPointerException in OrderService.confirm() for guest checkout",
    "Users are logged out every 5 minutes",
    "Login page is down for everyone",
    "webhooks from Stripe time out and payments stay pending",
    "checkout &gt; pay button is broken for <@U123> and others",
    "Report <https://status.example.com|status page> shows wrong uptime numbers",
    "The upgrade to Pro plan fails with a card error",
    "Emails go out twice after the migration to the new mailer",
    "Search results are missing products added today",
    "Deadlock in the inventory reservation job blocks all orders",
    "memory leak in the image resizer crashes pods every hour",
    "Stripe payouts job double-pays merchants since 02:00",
    "After yesterday's deploy the order confirmation email has the wrong total",
    "Cart badge count stays at 0 after adding items",
    "Admin panel: impossible to save product variants, spinner forever",
    "Google login popup closes immediately and nothing happens",
    "Checkout button greyed out on Android 14",
    'The app shows "Something went wrong" on the orders tab',
    "Sentry: ZeroDivisionError in discounts.apply_coupon",
    "Coupon code SAVE10 gives 100% off instead of 10%",
    "Health check failing, pods in CrashLoopBackOff",
    "The nightly export job has not run since Tuesday",
    "Uploads over 10MB fail with 413",
    "Password reset link expired immediately",
    "Users see other users' orders in their account page",
    "Invoice PDFs render blank for EU customers",
    "Rate limiter blocks all traffic from our office IP",
    "Orders stuck in pending state",
    "Homepage takes 12 seconds to load",
    "Login loops back to the sign-in page",
    "Dark mode toggle does not persist",
    "Search returns no results for anything with a hyphen",
    "Webhook signature verification rejects valid Stripe events",
    "Investigate why signups are down this week",
]


@pytest.mark.parametrize("description", ACCEPTED)
def test_urgent_user_visible_breakage_is_accepted(description: str) -> None:
    result = judge(description)
    assert result.outcome == "accept", result
    assert result.reason.startswith("accepted: ")
    assert result.signals


REJECTED = [
    ("Refactor the payment module", "refactors are not hotfixes: file a normal ticket"),
    ("refactoring: split OrderService into smaller classes", "refactors are not hotfixes: file a normal ticket"),
    ("Clean up the logging in the order service", "cleanups are not hotfixes: file a normal ticket"),
    ("cleanup: remove unused imports in billing", "cleanups are not hotfixes: file a normal ticket"),
    ("Remove dead code from the cart", "cleanups are not hotfixes: file a normal ticket"),
    ("Rename the UserManager class to AccountService", "renames are not hotfixes: file a normal ticket"),
    ("rename getUser to fetchUser", "renames are not hotfixes: file a normal ticket"),
    ("Reformat the codebase with black", "formatting and style changes are not hotfixes: file a normal ticket"),
    ("fix lint warnings in the api package", "formatting and style changes are not hotfixes: file a normal ticket"),
    ("Add type hints to the payments client", "formatting and style changes are not hotfixes: file a normal ticket"),
    ("Pay down tech debt in billing", "tech debt is not hotfix work: file a normal ticket"),
    ("Upgrade Django to 5.0", "dependency upgrades are not hotfixes: file a normal ticket"),
    ("bump all dependencies", "dependency upgrades are not hotfixes: file a normal ticket"),
    ("update our npm packages to latest", "dependency upgrades are not hotfixes: file a normal ticket"),
    ("Rewrite the checkout flow in React", "rewrites are not hotfixes: file a normal ticket"),
    ("overhaul error handling in the API", "rewrites are not hotfixes: file a normal ticket"),
    ("Convert the codebase to TypeScript", "rewrites are not hotfixes: file a normal ticket"),
    ("Split the monolith into services", "rewrites are not hotfixes: file a normal ticket"),
    ("Replace moment.js with date-fns", "rewrites are not hotfixes: file a normal ticket"),
    ("Migrate the database to Postgres 16", "rewrites are not hotfixes: file a normal ticket"),
    (
        "Refactor checkout and fix the 500 on /pay",
        "refactors are not hotfixes: file the breakage on its own, without the clean-up",
    ),
]


@pytest.mark.parametrize(("description", "reason"), REJECTED)
def test_cleanups_are_rejected_with_a_reason(description: str, reason: str) -> None:
    result = judge(description)
    assert result.outcome == "reject", result
    assert result.reason == reason


@pytest.mark.parametrize(
    ("priority", "mode"),
    [(Priority.P0, Mode.PATCH), (Priority.P0, Mode.DIAGNOSE), (Priority.P2, Mode.DIAGNOSE), (Priority.P1, Mode.PLAN)],
)
@pytest.mark.parametrize(
    "description",
    ["refactor the checkout module, it's on fire", "clean up the order service", "Upgrade Django to 5.0"],
)
def test_p0_and_diagnose_never_admit_a_refactor(priority: Priority, mode: Mode, description: str) -> None:
    assert judge(description, priority, mode).outcome == "reject"


HELD = [
    # feature work
    ("Add support for Apple Pay", "feature work"),
    ("New endpoint for exporting invoices as CSV", "feature work"),
    ("Implement dark mode on the dashboard", "feature work"),
    ("It would be nice to let users export their data", "feature work"),
    ("add a button to duplicate an order", "feature work"),
    ("allow users to pay with PayPal", "feature work"),
    # design questions
    ("Should we move sessions to Redis?", "design question"),
    ("What's the best way to cache product prices?", "design question"),
    ("Thoughts on splitting the monolith", "design question"),
    ("pros and cons of retrying failed webhooks", "design question"),
    # too big
    ("Fix the whole codebase error handling", "too big"),
    ("Add retries to every service", "too big"),
    # vague
    ("fix it", "too vague"),
    ("it's broken", "too vague"),
    ("something is wrong", "too vague"),
    ("help", "too vague"),
    ("bug", "too vague"),
    ("checkout", "no symptom"),
    ("please look at payments", "no symptom"),
    ("Update the copyright year in the footer", "no symptom"),
    ("Le paiement ne marche plus", "no symptom"),
    ("Improve performance of the dashboard", "no symptom"),
    ("Write tests for the billing module", "no symptom"),
    ("Document the webhook API", "no symptom"),
    ("CI is red on main", "no symptom"),
    ("I want to show prices in EUR", "feature work"),
]


@pytest.mark.parametrize(("description", "why"), HELD)
def test_features_design_questions_broad_and_vague_requests_are_held(description: str, why: str) -> None:
    result = judge(description)
    assert result.outcome == "hold", result
    assert why in result.reason or any(why in signal for signal in result.signals), result


def test_three_listed_problems_are_held_as_several_requests() -> None:
    result = judge("Broken today:\n- login 500\n- checkout slow\n- emails missing")
    assert result.outcome == "hold"
    assert result.reason == "several problems in one request: file one hotfix each"


def test_two_listed_lines_are_still_one_request() -> None:
    assert judge("Checkout fails:\n- with a 500 on /pay\n- only for EU cards").outcome == "accept"


def test_numbered_steps_to_reproduce_are_one_request() -> None:
    steps = "Checkout is broken.\nSteps:\n1. open the cart\n2. click Pay\n3. pick a saved card\n4. see a 500 error"
    assert judge(steps).outcome == "accept"


def test_feature_wish_with_a_symptom_is_judged_on_the_symptom() -> None:
    assert judge("I want to pay but checkout fails with a 500").outcome == "accept"
    assert judge("checkout no longer allows users to pay with saved cards").outcome == "accept"


@pytest.mark.parametrize(
    ("description", "p1", "p0", "diagnose"),
    [
        ("fix it", "hold", "hold", "hold"),
        ("please help", "hold", "hold", "hold"),
        ("it's broken", "hold", "accept", "accept"),
        ("everything is down", "hold", "accept", "accept"),
        ("payments", "hold", "accept", "accept"),
        ("investigate checkout", "hold", "accept", "accept"),
        ("signups look odd today", "hold", "accept", "accept"),
        ("checkout broken?", "accept", "accept", "accept"),
    ],
)
def test_p0_and_diagnose_lower_the_bar_for_vagueness(description: str, p1: str, p0: str, diagnose: str) -> None:
    assert judge(description).outcome == p1
    assert judge(description, Priority.P0).outcome == p0
    assert judge(description, Priority.P2, Mode.DIAGNOSE).outcome == diagnose


def test_plan_mode_keeps_the_normal_bar() -> None:
    assert judge("payments", Priority.P1, Mode.PLAN).outcome == "hold"


def test_vague_reasons_say_what_to_add() -> None:
    assert judge("fix it").reason == (
        "too vague to act on: say what is broken and how it shows (an error, a page, who is affected)"
    )
    assert judge("it's broken").reason == "too vague to act on: say where it breaks (which page, endpoint or job)"
    assert judge("checkout").reason == (
        "no symptom named: say what users see going wrong (an error, a crash, wrong data)"
    )


@pytest.mark.parametrize(
    ("description", "signal"),
    [
        ("Checkout returns 500 on /pay", "error code 500"),
        ("Login 502s since 14:00", "error code 502"),
        ("5xx on every checkout since noon", "error code"),
        ("API gives 429 errors to paying customers", "error code 429"),
        ("404 not found on /help after deploy", "error code 404"),
        ("The iOS app crashes on launch", "crash"),
        ("KeyError in the webhook handler", "exception"),
        ("orders API times out", "timeout"),
        ("search is slow", "hang or slowness"),
        ("login page is down", "outage"),
        ("export fails", "failure"),
        ("users can't pay", "users blocked"),
        ("prices show in USD instead of EUR", "data shown wrong"),
        ("signups dropped 40% today", "anomaly"),
        ("API key exposed in the page source", "security"),
        ("customers can't pay", "user-visible"),
        ("checkout fails for all users", "urgent"),
    ],
)
def test_signals_name_what_was_noticed(description: str, signal: str) -> None:
    assert signal in judge(description).signals


@pytest.mark.parametrize(
    "description",
    ["500 users see a slow dashboard", "refunds over $500 are slow", "latency is 500ms on search", "CPU at 500%"],
)
def test_amounts_are_not_status_codes(description: str) -> None:
    assert not any(signal.startswith("error code") for signal in judge(description).signals)


def test_p0_and_mode_show_up_in_signals() -> None:
    signals = judge("checkout is down", Priority.P0, Mode.DIAGNOSE).signals
    assert signals[0] == "p0"
    assert "mode:diagnose" in signals


@pytest.mark.parametrize(
    "description",
    [
        "",
        "   ",
        "\n\n",
        "refactor\nthe\nmodule",
        "<https://x|y>",
        "&amp;&lt;&gt;",
        "x" * 4000,
        "500 " * 1000,
        "Should we refactor?",
    ],
)
def test_reasons_are_always_one_friendly_line(description: str) -> None:
    for priority in Priority:
        for mode in Mode:
            result = judge(description, priority, mode)
            assert result.reason and "\n" not in result.reason
            assert len(result.reason) < 200
            assert all("\n" not in signal for signal in result.signals)


def test_a_very_long_description_is_judged_on_its_opening() -> None:
    assert judge("Checkout returns 500 on /pay. " + "<" * 200_000).outcome == "accept"
    assert judge("Refactor the billing module. " + "x " * 200_000).outcome == "reject"
