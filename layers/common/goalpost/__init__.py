"""Goalpost: conversion tracking for partner networks (the shared Lambda layer).

Modules, by layer:
- rules (pure, no AWS): ``money``, ``domain``, ``slugs``, ``macros``, ``payouts``, ``engine``
- storage (owns every key and expression): ``store``, ``config_cache``
- use cases called by the handlers: ``tracking`` (clicks), ``postbacks`` (conversions)
- HTTP glue shared by handlers: ``requests``, ``responses``
- admin only (pydantic, imported lazily by goals_admin): ``admin``
"""
