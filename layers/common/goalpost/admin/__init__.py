"""The admin API's schemas and use cases (pydantic): imported only by goals_admin."""
