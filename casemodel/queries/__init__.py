"""The read side for pages: selects and small aggregates that never call Prefect."""
