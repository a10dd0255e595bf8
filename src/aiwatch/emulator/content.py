"""Everyday work chat: topics with prompt/answer templates, filled with seeded choices.

Nothing here is sensitive on purpose (no contact data, no credentials, no confidentiality markers): risks are
added separately by :mod:`aiwatch.emulator.risks`, so a clean workspace stays clean. Topics marked
``has_code`` contain program code and are therefore treated as a planted ``code.source`` risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

SLOTS: dict[str, tuple[str, ...]] = {
    "product": (
        "Nimbus Analytics",
        "Orbit CRM",
        "Lumen Notes",
        "Atlas Pay",
        "Helix Monitor",
        "Pulse Survey",
        "Cobalt Backup",
        "Verde Fleet",
    ),
    "audience": (
        "small retail owners",
        "IT administrators",
        "finance teams",
        "first-time home buyers",
        "HR managers",
        "hospital procurement leads",
        "logistics planners",
    ),
    "quarter": ("Q1", "Q2", "Q3", "Q4"),
    "city": ("Lisbon", "Chicago", "Singapore", "Berlin", "Toronto", "Austin", "Dublin", "Tokyo", "Nairobi"),
    "team": ("platform", "growth", "payments", "data", "mobile", "support", "procurement", "legal ops"),
    "metric": (
        "churn",
        "activation rate",
        "net revenue retention",
        "average order value",
        "ticket backlog",
        "gross margin",
        "lead-to-opportunity conversion",
    ),
    "percent": ("4", "7", "12", "15", "18", "23", "31"),
    "amount": ("12,400", "48,000", "135,000", "2.3 million", "640,000", "87,500"),
    "days": ("3", "4", "5", "7", "10"),
    "language": ("Python", "TypeScript", "Go", "Java", "SQL"),
    "table": ("orders", "invoices", "subscriptions", "shipments", "support_tickets", "events"),
    "policy": (
        "remote work",
        "parental leave",
        "travel and expenses",
        "equipment reimbursement",
        "on-call compensation",
        "performance review",
    ),
    "contract": (
        "master services agreement",
        "data processing addendum",
        "reseller agreement",
        "software license",
        "office lease",
        "consulting statement of work",
    ),
    "month": ("January", "March", "May", "June", "September", "October", "November"),
}


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    titles: tuple[str, ...]
    openers: tuple[str, ...]
    answers: tuple[str, ...]
    followups: tuple[str, ...]
    followup_answers: tuple[str, ...]
    has_code: bool = False
    uses_browser: bool = False
    uses_python: bool = False


TOPICS: tuple[Topic, ...] = (
    Topic(
        name="marketing",
        titles=("Launch copy for {product}", "{product} landing page", "Campaign ideas {quarter}"),
        openers=(
            "Write three headline options for the {product} launch aimed at {audience}. Keep them under ten "
            "words and avoid jargon.",
            "We are launching {product} in {month}. Draft a short LinkedIn post that explains the main "
            "benefit "
            "for {audience} and ends with a call to action.",
            "Can you rewrite this tagline so it sounds less corporate: '{product} empowers synergy across "
            "your workflows'?",
        ),
        answers=(
            "Here are three options:\n\n1. **{product}: see the whole picture in minutes**\n2. **Less "
            "busywork, more decisions**\n3. **Built for {audience}, not for spreadsheets**\n\nOption 1 is "
            "the "
            "most concrete; option 3 works best if the audience already feels underserved.",
            "Sure. Draft:\n\n> Meet {product}. We built it for {audience} who spend too much of their week "
            "stitching reports together. In {month} it becomes available to everyone - try it free for "
            "{days} weeks and tell us what you think.\n\nWant a shorter version for X as well?",
            "A less corporate take: **'{product} - the tool that does the boring part.'** If you want to "
            "keep "
            "the idea of teamwork: **'One place for the whole team's work.'**",
        ),
        followups=(
            "Make it a bit more playful and add an emoji or two.",
            "Can you translate the second option into German and Spanish?",
            "Give me a version for a newsletter subject line, max 50 characters.",
        ),
        followup_answers=(
            "Playful version: 'Spreadsheets called - they want their weekends back. Meet {product}.' It "
            "keeps "
            "the benefit front and centre while sounding human.",
            "German: 'Weniger Routinearbeit, mehr Entscheidungen.' Spanish: 'Menos tareas repetitivas, más "
            "decisiones.' Both keep the rhythm of the English line.",
            "Subject line ideas: 'Your {quarter} reports, done in minutes', 'Meet {product} (finally)', "
            "'The busywork ends here'.",
        ),
    ),
    Topic(
        name="sql",
        titles=("SQL for monthly {metric}", "Slow query on {table}", "Window function help"),
        openers=(
            "I need a SQL query that returns the monthly {metric} from the {table} table for the last 12 "
            "months, grouped by region. We are on PostgreSQL 15.",
            "This query on {table} takes 40 seconds. What indexes would you add?\n\nSELECT region, "
            "date_trunc('month', created_at) AS month, count(*) FROM {table} WHERE status = 'closed' GROUP "
            "BY 1, 2 ORDER BY 2 DESC;",
        ),
        answers=(
            "Here is a version using a CTE:\n\n```sql\nWITH monthly AS (\n  SELECT region,\n         "
            "date_trunc('month', created_at) AS month,\n         count(*) AS total\n  FROM {table}\n  WHERE "
            "created_at >= now() - interval '12 months'\n  GROUP BY region, month\n)\nSELECT region, month, "
            "total,\n       total - lag(total) OVER (PARTITION BY region ORDER BY month) AS change\nFROM "
            "monthly\nORDER BY region, month;\n```\n\nThe `lag` window gives you the month-over-month "
            "change.",
            "Two things will help most:\n\n```sql\nCREATE INDEX CONCURRENTLY idx_{table}_status_created\n  "
            "ON "
            "{table} (status, created_at);\n```\n\nThen run `ANALYZE {table};` so the planner picks it up. "
            "If "
            "closed rows are a small fraction, a partial index `WHERE status = 'closed'` is even smaller.",
        ),
        followups=(
            "How would I turn this into a materialized view refreshed nightly?",
            "Can you explain what the PARTITION BY does here in plain words?",
        ),
        followup_answers=(
            "```sql\nCREATE MATERIALIZED VIEW monthly_{table} AS\n  SELECT region, date_trunc('month', "
            "created_at) AS month, count(*) AS total\n  FROM {table} GROUP BY 1, 2;\n\nREFRESH MATERIALIZED "
            "VIEW CONCURRENTLY monthly_{table};\n```\n\nSchedule the refresh with pg_cron or your job "
            "runner.",
            "PARTITION BY restarts the window for each region, so `lag` compares a month only with the "
            "previous "
            "month of the same region instead of whatever row happens to come before it.",
        ),
        has_code=True,
    ),
    Topic(
        name="code_review",
        titles=("Review {language} retry helper", "Refactor suggestion", "Unit tests for parser"),
        openers=(
            "Can you review this {language} function? It retries HTTP calls but sometimes "
            "hangs.\n\n```python\n"
            "def fetch(url, retries=5):\n    for attempt in range(retries):\n        try:\n            "
            "return "
            "requests.get(url).json()\n        except Exception:\n            time.sleep(2 ** attempt)\n    "
            "return None\n```",
            "Write unit tests for a function `parse_duration(text)` that turns strings like '1h30m' into "
            "seconds.",
        ),
        answers=(
            "A few issues:\n\n1. `requests.get` has no timeout, so a stuck connection hangs forever.\n2. "
            "Catching `Exception` hides programming errors.\n3. Returning `None` makes failures silent.\n\n"
            "```python\ndef fetch(url, retries=5, timeout=10):\n    for attempt in range(retries):\n        "
            "try:\n            response = requests.get(url, timeout=timeout)\n            "
            "response.raise_for_status()\n            return response.json()\n        except "
            "(requests.ConnectionError, requests.Timeout):\n            time.sleep(min(30, 2 ** attempt))\n"
            "    raise RuntimeError(f'{{url}} failed after {{retries}} attempts')\n```",
            "```python\nimport pytest\n\n@pytest.mark.parametrize('text, seconds', [\n    ('1h30m', 5400),\n"
            "    ('45s', 45),\n    ('2h', 7200),\n])\ndef test_parse_duration(text, seconds):\n    assert "
            "parse_duration(text) == seconds\n\ndef test_rejects_garbage():\n    with "
            "pytest.raises(ValueError):\n        parse_duration('soon')\n```",
        ),
        followups=("Should I add jitter to the backoff?", "What about negative durations?"),
        followup_answers=(
            "Yes - with many clients retrying at once, full jitter (`random.uniform(0, cap)`) spreads the "
            "load "
            "and avoids synchronized retry waves.",
            "Decide on the contract first: if negative durations make no sense in your domain, raise "
            "`ValueError` and add a test for '-5m'.",
        ),
        has_code=True,
    ),
    Topic(
        name="hr_policy",
        titles=("Update {policy} policy", "{policy} FAQ", "Summarize {policy} changes"),
        openers=(
            "Summarize our new {policy} policy for a company-wide announcement. Key points: applies from "
            "{month}, managers approve within {days} working days, exceptions go to the {team} lead.",
            "Draft an FAQ with five questions employees will likely ask about the {policy} policy.",
        ),
        answers=(
            "**What's changing:** From {month}, the updated {policy} policy applies to everyone.\n\n- "
            "Requests "
            "are approved by your manager within {days} working days.\n- Exceptions are reviewed by the "
            "{team} "
            "lead.\n- The full policy is on the HR portal.\n\nQuestions? Reach out to your HR business "
            "partner.",
            "1. **Who does the {policy} policy apply to?** All employees and contractors.\n2. **When does it "
            "start?** In {month}.\n3. **How long does approval take?** Up to {days} working days.\n4. "
            "**What if "
            "my case is unusual?** Ask your manager to raise an exception.\n5. **Where is the full text?** "
            "On "
            "the HR portal under Policies.",
        ),
        followups=("Make the tone warmer, it sounds too legal.", "Shorten it to fit in a Slack message."),
        followup_answers=(
            "Warmer version: 'We listened to your feedback and updated how {policy} works. Starting in "
            "{month}, "
            "things get simpler - here is what that means for you.'",
            "Slack version: ':mega: New {policy} policy from {month}. Approval in {days} days, exceptions "
            "via "
            "the {team} lead. Details on the HR portal.'",
        ),
    ),
    Topic(
        name="sales_email",
        titles=("Follow-up email after demo", "Renewal outreach", "Cold email for {audience}"),
        openers=(
            "Write a follow-up email after yesterday's {product} demo with a logistics company in {city}. "
            "They "
            "liked the reporting but worried about onboarding time.",
            "Draft a renewal email for a customer whose {metric} improved {percent}% this year thanks to "
            "{product}.",
        ),
        answers=(
            "Subject: Next steps after our {product} demo\n\nHi there,\n\nThanks again for your time "
            "yesterday. "
            "You mentioned onboarding time as the main concern, so here is how we handle it: a dedicated "
            "onboarding manager, a {days}-day setup plan, and weekly check-ins for the first month.\n\nWould "
            "next Tuesday work for a 30-minute planning call?\n\nBest regards",
            "Subject: A {percent}% better year - let's keep going\n\nHello,\n\nOver the last twelve months "
            "your "
            "{metric} improved by {percent}% with {product}. We would love to build on that: your renewal is "
            "coming up and we have prepared a plan for the next year.\n\nCould we set up a short review next "
            "week?",
        ),
        followups=("Make it shorter and more direct.", "Add a line about our new integrations."),
        followup_answers=(
            "Shorter: 'Thanks for yesterday. Onboarding takes {days} days with a dedicated manager. Does "
            "Tuesday "
            "work for a planning call?'",
            "Added: 'We also just released native integrations for the tools your team already uses, so "
            "nobody has to change how they work.'",
        ),
    ),
    Topic(
        name="finance",
        titles=("{quarter} budget variance", "Forecast model assumptions", "Excel formula for {metric}"),
        openers=(
            "Our {quarter} marketing spend was {amount} against a budget that was {percent}% lower. Help me "
            "write the variance commentary for the finance review.",
            "What Excel formula gives me the year-over-year growth of {metric} if this year is in column C "
            "and "
            "last year in column B?",
        ),
        answers=(
            "Suggested commentary:\n\n> {quarter} marketing spend came in at {amount}, {percent}% above "
            "budget. "
            "The overrun is driven by the accelerated {product} campaign, which was pulled forward from the "
            "next quarter. Full-year spend remains within plan.",
            'Use `=IFERROR((C2-B2)/B2, "n/a")` and format the cell as a percentage. The IFERROR guards '
            "against rows where last year is zero.",
        ),
        followups=("Can you also suggest a chart to go with it?", "How do I make it ignore blank rows?"),
        followup_answers=(
            "A bar chart of budget vs actual per month with the variance as a line on a secondary axis works "
            "well; keep the colours for budget and actual consistent with earlier reviews.",
            'Wrap it: `=IF(OR(B2="",C2=""), "", IFERROR((C2-B2)/B2, "n/a"))`.',
        ),
        uses_python=True,
    ),
    Topic(
        name="travel",
        titles=("Trip to {city}", "{city} offsite planning", "Itinerary for {city}"),
        openers=(
            "I am travelling to {city} for a {days}-day customer visit in {month}. Suggest a neighbourhood "
            "to "
            "stay in that is close to the business district and has good food.",
            "Plan a team offsite in {city} for 12 people: one day of workshops, one day of activities.",
        ),
        answers=(
            "For a short business trip to {city} in {month}, stay near the central business district so "
            "mornings are easy. Book a hotel with a quiet workspace, and keep one evening free for a team "
            "dinner close to the old town.",
            "**Day 1:** workshops in a rented meeting room with natural light, lunch delivered, short walk "
            "at "
            "4 pm.\n**Day 2:** morning food tour, afternoon boat or bike tour, farewell dinner.\nBudget "
            "about "
            "{amount} in local currency for the whole group.",
        ),
        followups=("What is the weather usually like then?", "Any tips for getting from the airport?"),
        followup_answers=(
            "In {month} expect mild days and cooler evenings; pack a light jacket and an umbrella.",
            "The airport train is usually the fastest option into the centre; taxis are fine late at night.",
        ),
        uses_browser=True,
    ),
    Topic(
        name="legal",
        titles=("Summarize {contract}", "Key clauses in {contract}", "Termination terms"),
        openers=(
            "Summarize the main obligations in a standard {contract} in plain English for a project manager.",
            "What should I look for in the limitation of liability clause of a {contract}?",
        ),
        answers=(
            "In plain English, a {contract} usually covers: what each side delivers and when, how and when "
            "you pay, who owns what is created, how data is handled, how long it lasts and how to end it, "
            "and "
            "what happens if something goes wrong. Have legal review anything unusual before signing.",
            "Check four things: the cap (often 12 months of fees), what is excluded from the cap (data "
            "protection, IP infringement), whether indirect damages are excluded, and whether the cap is "
            "mutual.",
        ),
        followups=("Which of these usually gets negotiated?", "Give me a one-paragraph version."),
        followup_answers=(
            "The cap amount and the carve-outs are negotiated most; customers push for higher caps on data "
            "breaches.",
            "One paragraph: the agreement sets out deliverables, fees, ownership, data handling, duration "
            "and "
            "exit, and caps each side's liability - read the cap and its exceptions carefully.",
        ),
    ),
    Topic(
        name="support",
        titles=("Reply to customer about outage", "Support macro", "Ticket triage"),
        openers=(
            "A customer is upset that {product} was down for two hours this morning. Draft a calm, honest "
            "reply "
            "that explains we found the cause and are adding monitoring.",
            "Help me categorize these ticket themes from this week: login issues, slow exports, billing "
            "questions, feature requests for dark mode.",
        ),
        answers=(
            "Hello,\n\nI am sorry about this morning's disruption - two hours without {product} is not the "
            "experience we want for you. The cause was a failed database migration; we rolled it back and "
            "are "
            "adding monitoring so we catch this earlier. We will share a full incident review within {days} "
            "days.\n\nThank you for your patience.",
            "Suggested categories: **Access** (login issues), **Performance** (slow exports), **Billing** "
            "(billing questions), **Product feedback** (dark mode). Track each as a tag so you can see "
            "trends "
            "by {quarter}.",
        ),
        followups=("Can you make it sound less like a template?",),
        followup_answers=(
            "Sure - 'I know this morning cost your team time, and I am sorry. Here is what happened and what "
            "we are changing so it does not happen again.'",
        ),
    ),
    Topic(
        name="data_analysis",
        titles=("Analyze {metric} trend", "Cohort analysis", "Chart from CSV"),
        openers=(
            "Our {metric} dropped {percent}% last month. What analyses would you run to find out why?",
            "Explain how to build a monthly cohort retention table in pandas.",
        ),
        answers=(
            "I would look at: 1) segment breakdown (plan, region, acquisition channel), 2) cohort view to "
            "see "
            "if new or old customers drive the change, 3) product usage before and after the last release, "
            "4) seasonality versus last year's same month.",
            "Group users by signup month, compute the months since signup for each activity, then pivot "
            "cohorts against month offsets and divide by cohort size. Plot it as a heatmap.",
        ),
        followups=("Which of these would you do first?",),
        followup_answers=(
            "Start with the segment breakdown: it is cheap and usually points to where the drop is "
            "concentrated.",
        ),
        uses_python=True,
    ),
    Topic(
        name="project_management",
        titles=("{team} roadmap {quarter}", "Retro notes", "Status update draft"),
        openers=(
            "Turn these notes into a status update for leadership: migration {percent}% done, two blockers "
            "with the {team} team, launch still planned for {month}.",
            "Suggest an agenda for a 45-minute retrospective after the {product} release.",
        ),
        answers=(
            "**Status: on track (amber)**\n\n- Migration is {percent}% complete.\n- Two blockers depend on "
            "the "
            "{team} team; we meet them on Thursday.\n- Launch remains planned for {month}.\n\nAsk: a "
            "decision "
            "on scope for the reporting module by Friday.",
            "1. Check-in (5 min)\n2. What went well (10 min)\n3. What was hard (15 min)\n4. Actions with "
            "owners "
            "(10 min)\n5. Wrap-up (5 min)",
        ),
        followups=("Make it red instead of amber and explain why.",),
        followup_answers=(
            "**Status: at risk (red)** - the two blockers with the {team} team have no agreed fix date, so "
            "the "
            "{month} launch is in danger unless we get a decision this week.",
        ),
    ),
)

ASSISTANT_MODELS = ("gpt-4o", "gpt-4.1", "o3", "gpt-5", "gpt-5-thinking", "gpt-4o-mini")


def fill(template: str, values: dict[str, str]) -> str:
    return template.format_map(values)


def slot_values(rng: Random) -> dict[str, str]:
    return {name: rng.choice(options) for name, options in SLOTS.items()}


def browser_citations(rng: Random, topic: Topic) -> list[str]:
    hosts = (
        "en.wikipedia.org",
        "www.lonelyplanet.com",
        "www.timeout.com",
        "www.bbc.com",
        "docs.python.org",
        "www.postgresql.org",
        "www.investopedia.com",
    )
    slug = topic.name.replace("_", "-")
    return [
        f"https://{rng.choice(hosts)}/{slug}/{rng.randrange(1000, 9999)}" for _ in range(rng.randrange(1, 3))
    ]
