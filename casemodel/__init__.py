"""The domain of Dossierflow: models, services and queries.

Nothing in this package imports Flask or Prefect: the web views (webapp/) and the flow tasks
(flows/) call the same services, passing the session and the acting user explicitly.
"""
