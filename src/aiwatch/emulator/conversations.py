"""Build one realistic conversation: topic turns, tool calls, uploads, edits/regenerations, planted risks."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from aiwatch.emulator import content, fakes, risks
from aiwatch.emulator.documents import Document
from aiwatch.emulator.model import CHAT_UPLOAD_TTL_SECONDS, Conversation, Message, StoredFile


@dataclass(slots=True)
class PlannedFinding:
    """A planted value and where it went; the workspace turns these into labels."""

    rule: str
    value: str
    kind: str  # message | file
    ids: dict[str, str]
    field: str


@dataclass(slots=True)
class BuiltConversation:
    conversation: Conversation
    files: list[StoredFile] = field(default_factory=list)
    findings: list[PlannedFinding] = field(default_factory=list)


def _ts(value: float) -> float:
    return round(value, 6)


def _benign_upload(rng: Random, values: dict[str, str]) -> Document:
    choice = rng.randrange(4)
    if choice == 0:
        return Document(
            f"{values['team']}-meeting-notes.docx",
            f"{values['team'].title()} weekly sync",
            (
                f"Agreed to ship the {values['product']} beta in {values['month']}.",
                f"Open question: how to report {values['metric']} by region.",
                "Next sync moves to Thursday.",
            ),
        )
    if choice == 1:
        rows = [("region", "quarter", "revenue", "growth")]
        for region in ("North America", "EMEA", "APAC", "LATAM"):
            rows.append(
                (region, values["quarter"], str(rng.randrange(200, 900) * 1000), f"{rng.randrange(-5, 25)}%")
            )
        return Document(
            f"sales-by-region-{values['quarter'].lower()}.xlsx", "Sales by region", (), tuple(rows)
        )
    if choice == 2:
        return Document(
            f"{values['product'].lower().replace(' ', '-')}-plan.pdf",
            f"{values['product']} launch plan",
            (
                f"Goal: improve {values['metric']} by {values['percent']}% within two quarters.",
                f"Milestones: private beta in {values['month']}, general availability one quarter later.",
                "Risks: onboarding time, integration backlog.",
            ),
        )
    return Document("whiteboard.png", "whiteboard photo")


def _risky_upload(rng: Random) -> tuple[Document, risks.Plant]:
    choice = rng.randrange(4)
    if choice == 0:
        plant = risks.customer_list_csv(rng)
        return Document("customers-export.csv", "customers", raw=plant.text + "\n"), plant
    if choice == 1:
        plant = risks.env_block(rng)
        return Document("staging.env", "staging environment", raw=plant.text + "\n"), plant
    if choice == 2:
        ssn_plant = risks.plant_ssn(rng)
        iban_plant = risks.plant_iban(rng)
        doc = Document("offer-letter.docx", "Offer letter", (ssn_plant.text, iban_plant.text))
        return doc, risks.Plant(doc.plain_text(), ssn_plant.findings + iban_plant.findings)
    marker = risks.plant_confidential(rng)
    doc = Document("board-update.pdf", "Board update", tuple(marker.text.split("\n\n")))
    return doc, marker


def _first_code_line(message: Message) -> str | None:
    """The first line of program code in a template message (code topics are a planted code.source risk)."""
    text = message.text or ""
    if message.content_type == "code" and text:
        return text.splitlines()[0]
    if "```" in text:
        body = text.split("```", 2)[1].splitlines()
        return next((line for line in body[1:] if line.strip()), None)
    if "SELECT " in text:
        return text[text.index("SELECT ") :].splitlines()[0]
    return None


class ConversationBuilder:
    """Creates conversations for one workspace; every choice comes from the caller's seeded ``Random``."""

    def __init__(self, *, risk_rate: float, gpt_ids: list[str], project_ids: list[str]) -> None:
        self.risk_rate = risk_rate
        self.gpt_ids = gpt_ids
        self.project_ids = project_ids
        self._plants = 0  # planters are used in turn so every kind shows up even in small workspaces

    def build(
        self, rng: Random, user_id: str, start: float, *, force_plant: bool = False
    ) -> BuiltConversation:
        clean = self.risk_rate <= 0
        topics = [t for t in content.TOPICS if not (clean and t.has_code)]
        topic = rng.choice(topics)
        values = content.slot_values(rng)
        conv_id = fakes.uuid4(rng)
        gpt_id = rng.choice(self.gpt_ids) if self.gpt_ids and rng.random() < 0.15 else None
        project_id = (
            rng.choice(self.project_ids) if self.project_ids and not gpt_id and rng.random() < 0.1 else None
        )
        model = rng.choice(content.ASSISTANT_MODELS)
        built = BuiltConversation(
            Conversation(
                conv_id,
                user_id,
                content.fill(rng.choice(topic.titles), values),
                _ts(start),
                _ts(start),
                _ts(start),
            ),
        )
        conv = built.conversation
        clock = [start]

        def tick(low: float = 4.0, high: float = 90.0) -> float:
            clock[0] += rng.uniform(low, high)
            return _ts(clock[0])

        def add(role: str, text: str | None, parent: str | None, **extra: object) -> Message:
            message = Message(
                fakes.uuid4(rng),
                parent,
                tick() if role != "system" else None,
                role,
                text,
                gpt_id=gpt_id,
                project_id=project_id,
                **extra,
            )  # type: ignore[arg-type]
            conv.messages.append(message)
            return message

        root = add("system", "", None)
        plant_turn = -1
        # Prompts and answers are parallel lists: the same index keeps a question with its answer.
        followups = rng.sample(range(len(topic.followups)), len(topic.followups))
        turns = 1 + rng.randrange(min(3, 1 + len(followups)))
        if force_plant or rng.random() < self.risk_rate:
            plant_turn = rng.randrange(turns)
        parent = root.id
        for turn in range(turns):
            if turn == 0:
                pick = rng.randrange(len(topic.openers))
                prompt, answer = topic.openers[pick], topic.answers[pick]
            else:
                pick = followups[turn - 1]
                prompt, answer = topic.followups[pick], topic.followup_answers[pick]
            prompt, answer = content.fill(prompt, values), content.fill(answer, values)
            planted: risks.Plant | None = None
            if turn == plant_turn:
                planted = risks.MESSAGE_PLANTERS[self._plants % len(risks.MESSAGE_PLANTERS)](rng)
                self._plants += 1
                prompt = planted.text
                answer = self._answer_to_plant(planted)
            file_ids: tuple[str, ...] = ()
            upload: StoredFile | None = None
            upload_plant: risks.Plant | None = None
            if turn == 0 and rng.random() < 0.12:
                if not clean and rng.random() < 0.5:
                    document, upload_plant = _risky_upload(rng)
                else:
                    document = _benign_upload(rng, values)
                created = tick(1, 5)
                upload = StoredFile(
                    "file-" + fakes.token(rng, 24),
                    "user",
                    user_id,
                    created,
                    document,
                    expires_at=_ts(created + CHAT_UPLOAD_TTL_SECONDS),
                    conversation_id=conv_id,
                )
                built.files.append(upload)
                file_ids = (upload.id,)
                if planted is None:
                    prompt = f"I attached {document.name}. Can you summarize the key points?"
            user_msg = add("user", prompt, parent, file_ids=file_ids)
            if planted is not None:
                for rule, value in planted.findings:
                    built.findings.append(
                        PlannedFinding(
                            rule,
                            value,
                            "message",
                            {"conversation_id": conv_id, "message_id": user_msg.id},
                            "content.value",
                        )
                    )
            if upload is not None:
                if upload_plant is not None:
                    for rule, value in upload_plant.findings:
                        built.findings.append(
                            PlannedFinding(
                                rule,
                                value,
                                "file",
                                {"file_id": upload.id, "conversation_id": conv_id},
                                "content",
                            )
                        )
                if upload.document.extension != "png":
                    excerpt = upload.document.plain_text()[:600]
                    tool = add(
                        "tool", excerpt, user_msg.id, tool_name="myfiles_browser", content_type="tether_quote"
                    )
                    parent_for_answer = tool.id
                else:
                    parent_for_answer = user_msg.id
            else:
                parent_for_answer = user_msg.id
            parent_for_answer = self._maybe_tools(
                rng, topic, values, add, parent_for_answer, model, built, conv_id
            )
            assistant = add("assistant", answer, parent_for_answer, model=model)
            if turn == 0 and rng.random() < 0.08:
                # Regeneration: a sibling answer under the same parent.
                add("assistant", "Here is another take.\n\n" + answer, parent_for_answer, model=model)
            if turn == 0 and planted is None and rng.random() < 0.06:
                # Edit: the user rewrote the prompt; the new branch becomes the active one.
                edited = add("user", prompt + " Keep it short, please.", parent)
                assistant = add("assistant", answer, edited.id, model=model)
            parent = assistant.id
        planted_ids = {f.ids.get("message_id") for f in built.findings}
        for message in conv.messages:
            line = _first_code_line(message) if message.id not in planted_ids else None
            if line and not clean:
                built.findings.append(
                    PlannedFinding(
                        "code.source",
                        line,
                        "message",
                        {"conversation_id": conv_id, "message_id": message.id},
                        "content.value",
                    )
                )
        conv.last_active_at = conv.messages[-1].created_at or conv.created_at
        conv.updated_at = conv.last_active_at
        return built

    def _maybe_tools(self, rng, topic, values, add, parent, model, built, conv_id) -> str:  # type: ignore[no-untyped-def]
        roll = rng.random()
        if topic.uses_python and roll < 0.35 and self.risk_rate > 0:
            call = add(
                "assistant",
                "import pandas as pd\ndf = pd.read_csv('data.csv')\ndf.describe()",
                parent,
                content_type="code",
                model=model,
            )
            out = add(
                "tool",
                f"count  {rng.randrange(100, 5000)}\nmean   {rng.uniform(10, 900):.2f}",
                call.id,
                tool_name="python",
                content_type="execution_output",
            )
            return out.id
        if topic.uses_browser and roll < 0.5:
            urls = content.browser_citations(rng, topic)
            text = f"Searched the web for {values['city']} {topic.name} tips."
            if self.risk_rate > 0 and rng.random() < 0.2:
                plant = risks.indirect_injection(rng)
                text = plant.text
                tool = add(
                    "tool",
                    text,
                    parent,
                    tool_name="browser",
                    content_type="tether_browsing_display",
                    annotations=tuple(urls),
                )
                for rule, value in plant.findings:
                    built.findings.append(
                        PlannedFinding(
                            rule,
                            value,
                            "message",
                            {"conversation_id": conv_id, "message_id": tool.id},
                            "content.value",
                        )
                    )
                return tool.id
            tool = add(
                "tool",
                text,
                parent,
                tool_name="browser",
                content_type="tether_browsing_display",
                annotations=tuple(urls),
            )
            return tool.id
        if roll > 0.97:
            # A tool the Compliance API does not support: null tool name and null content.
            tool = add("tool", None, parent, tool_name=None, content_type="text")
            return tool.id
        return parent

    @staticmethod
    def _answer_to_plant(plant: risks.Plant) -> str:
        rule = plant.findings[0][0]
        if rule.startswith(("attack.", "harmful.")):
            return risks.REFUSAL
        return (
            "Happy to help. One note first: your message contains data that looks sensitive, so avoid "
            "sharing it in chats where possible. Here is a suggestion for what you asked: keep the wording "
            "short, check the details once more and send it from the usual channel."
        )
