"""Data access: the only package that knows table names, keys and expressions.

One module per table or aggregate, over one small DynamoDB helper (``dynamo``):
``session_store``, ``conversion_store`` (the money path), ``counter_store`` (caps,
impressions), ``delivery_store``, ``config_store`` + ``config_cache``, ``audit_store``,
``report_store``, ``stats_store``. Plain functions; nothing here decides a rule.

Tables (README, "Tables and keys", lists every access pattern):
- sessions:    transaction_id                     one item per click, TTL on expires_at
- conversions: pk=TX#<txid>, sk=CONV#<goal>[#<n>]  conversions of a session
               pk=UNIQUE#<offer>#<field>#<value>  guard: a unique id seen on an offer
               pk=RETRY#<fingerprint>             guard: a postback seen in the retry window
               GSI by_day_time:     day_key=DAY#<utc yyyy-mm-dd>#<shard>, created_key=<iso time>#<record id>
               GSI by_offer_pending: pending_key=PENDING#<id>#<shard>, created_key (pending only)
               GSI by_review: review_key=REVIEW#<shard>, created_key (pending only, every offer)
               (every record, shard = crc32(record id) % REPORT_SHARDS)
- config:      pk=NETWORK sk=SETTINGS, pk=ADV#<id> sk=PROFILE, pk=PARTNER#<id> sk=PROFILE,
               pk=OFFER#<id> sk=OFFER | GOAL#<id> | PAYOUT#<partner>#<goal>,
               pk=STRUCTURE#<id> sk=PROFILE, pk=COUNTER sk=<kind>
               GSI by_kind: kind, pk (lists every entity of a kind)
- stats:       pk=CELLS#<utc day>#<shard>, sk=<offer>#<hh>#<partner>#<goal|->[#private]  hourly cells
               pk=APPLIED#<first stream event id> sk=APPLIED                 batch marker (TTL)
               pk=REPORT#PARTNER#<id>#<shard> | REPORT#OFFER#<id>#<shard>, sk=<created_key>
                    the report projection: each record's copies (report_store), from the stream
               GSI by_partner_day: partner_day=<partner>#<utc day>, sk
"""
