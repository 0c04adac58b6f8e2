"""`strataudit serve`: the pre-approval gate as an HTTP service with an append-only record.

A workflow submits a plan (or a bundle of a plan and its includes) with a bearer token and gets
a *decision*: the gate's verdict and the findings of the JSON report contract, recorded once and
never updated. One module per concept:

| module | concept |
|---|---|
| `settings.py` | what the operator sets (flags, environment) |
| `app.py` | the ASGI app factory: lifespan (store, worker pool), middleware, routes |
| `api_audits.py`, `api_plans.py`, `api_ops.py` | the routes under `/v1`, health and metrics |
| `auth.py` | bearer tokens (scrypt hashes, constant-time compare) and the role table |
| `problems.py` | RFC 9457 problem details: every error the service answers |
| `bundle.py` | request bodies -> a bundle of safely named files and the gate's options |
| `job.py` | one audit of a bundle in a private folder (runs in a worker, or in `verify`) |
| `worker.py`, `pool.py` | the worker processes and their supervisor (crashes, time limits) |
| `tables.py`, `store.py`, `migrations/` | the record: SQLAlchemy tables, its only writer, Alembic |
| `decisions.py` | a stored decision as the API shows it; new/resolved findings of a history |
| `replay.py` | `strataudit decisions verify`: re-audit stored decisions under the same rules |
| `metrics.py`, `middleware.py` | Prometheus metrics; the body limit and the JSON access log |

Importing this package loads nothing: FastAPI and SQLAlchemy load only with the modules that
need them, so `strataudit audit` never pays for the service.
"""
