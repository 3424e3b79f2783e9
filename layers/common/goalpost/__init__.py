"""Goalpost: conversion tracking for partner networks (the shared Lambda layer).

Modules, by layer:
- rules (pure, no AWS): ``money``, ``domain``, ``slugs``, ``macros``, ``payouts``, ``engine``,
  ``signing`` (encrypted links), ``links`` (tracking links handed out)
- storage (owns every key and expression): ``store``, ``config_cache``
- use cases called by the handlers: ``tracking`` (clicks), ``postbacks`` (conversions,
  status adjustments, goal clicks), ``pixels``, ``partner_postbacks`` (stream consumer)
- HTTP glue shared by handlers: ``params``, ``responses``
- admin only (pydantic, imported by goals_admin alone): ``admin``
"""
