"""hotfix-bot: the core (pure asyncio, standard library only).

Sub-packages: ``domain`` (aggregate, rules, values), ``services`` (bus, handlers, orchestration),
``render`` (platform-neutral cards). ``ports`` names the roles adapters play; ``bootstrap`` wires them.
"""
