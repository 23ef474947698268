"""The package's SQL text, and nothing else.

``schema`` (the store's DDL, migrations and the ``events`` view), ``ingest``
(the record rules and the statements that store records), ``stages`` and
``bursts`` (the analyses, in the two stages that run on DuckDB and Spark),
``traces`` and ``agents`` (PraisonAI replay traces: storing them, and the
``agents`` analysis and runaway spend over them) and ``macros`` (the analyses as the ``aa_*`` table macros in the file).

These modules import nothing from the rest of the package (a test checks
it), so the store can install the macros without knowing the analyses, and
every statement is built one way: by Python functions and f-strings, with
values passed as query parameters. ``tests/golden/`` pins the text they make.
"""
