"""Adapters: chat platforms, agents, git, scheduler. They translate and never decide."""
