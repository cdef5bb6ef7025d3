"""Limit/offset pagination with a ceiling, so one request cannot ask for the whole inventory."""

from rest_framework.pagination import LimitOffsetPagination


class ApiPagination(LimitOffsetPagination):
    default_limit = 100
    max_limit = 1000
