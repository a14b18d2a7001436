"""The API's one pagination: DRF's page numbers ({"count", "next", "previous", "results"})."""

from rest_framework.pagination import PageNumberPagination


class ApiPageNumberPagination(PageNumberPagination):
    """DRF's PageNumberPagination: `?page=`, and `?page_size=` up to 500 (default 50).

    drf-spectacular builds each list example from these field examples around one
    item, so they describe a whole first page of one item (DRF's own describe page 3
    of 123 at api.example.org/accounts/).
    """

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response_schema(self, schema: dict) -> dict:
        page = super().get_paginated_response_schema(schema)
        page["properties"]["count"]["example"] = 1
        page["properties"]["next"]["example"] = None
        page["properties"]["previous"]["example"] = None
        return page
