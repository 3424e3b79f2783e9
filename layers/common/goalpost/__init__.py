"""Goalpost: conversion tracking for partner networks (the shared Lambda layer).

Layers, top to bottom; a module imports only from the layers below it (``make lint``
checks it: ``[tool.importlinter]`` in pyproject.toml):

- ``admin``: the admin and partner API's resources (pydantic; imported by goals_admin only)
- ``web``: API Gateway payload 2.0 in and out for the tracking routes, and the one map
  from codes to HTTP statuses (``web.status``)
- ``tracking`` (clicks, postbacks, pixels) and ``streams`` (stream and queue consumers):
  the use cases
- ``store``: one module per table or aggregate over ``store.dynamo``; owns every key and
  expression. ``telemetry``: log lines and metrics
- ``rules``: pure rules (goal resolution and gates, payouts, caps, status transitions,
  stats, macros, slugs, signed links): codes, never HTTP statuses
- ``model``: the nouns (Offer, Goal, Partner, Session...), ids and formats, money

The sub-packages' ``__init__`` modules import nothing: a handler pays only for the modules
it uses (cold start).
"""
