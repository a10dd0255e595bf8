"""A faithful, seeded fake of the ChatGPT Enterprise Compliance API (stateful endpoints and log feed).

Use it from tests and the demo::

    from aiwatch.emulator.server import EmulatorServer, EmulatorConfig

    with EmulatorServer(EmulatorConfig(seed=7, users=5, days=3, now=1_760_000_000)) as emu:
        emu.base_url, emu.api_key, emu.workspace_id, emu.chatgpt_org_id, emu.platform_org_id
        emu.workspace          # ground truth (Workspace): users, conversations, files, gpts, projects, …
        emu.labels             # planted risks (risks.Label); emu.workspace.text_at(label.location)
        emu.workspace.add_conversation(); emu.workspace.advance(600)  # new data, new log files

or from the shell: ``aiwatch emulator --help``.

Modules: ``workspace`` (state, generation, mutations), ``conversations``/``agents``/``content``/``risks``/
``fakes``/``documents`` (synthetic data), ``logfeed`` (event envelopes, JSONL files), ``views`` (API JSON),
``app`` (FastAPI routes, auth, signed downloads), ``ratelimit``, ``faults``, ``server``, ``cli``.
"""
