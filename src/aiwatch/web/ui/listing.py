"""Query-string state of a table page (filters, sort, page) and the links that change one part of it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import Request

PER_PAGE_CHOICES = (25, 50, 100)


@dataclass(frozen=True)
class Listing:
    """``Listing.from_request(request, sorts=("last_seen", "severity"), default_sort="last_seen")``.

    ``url(page=2)`` / ``url(sort="severity")`` keep every other query parameter, so filters survive paging
    and sorting; changing a filter or the sort goes back to page 1.
    """

    path: str
    params: tuple[tuple[str, str], ...]
    page: int
    per_page: int
    sort: str
    descending: bool

    @classmethod
    def from_request(cls, request: Request, *, sorts: tuple[str, ...], default_sort: str) -> Listing:
        query = request.query_params
        sort = query.get("sort", default_sort)
        if sort not in sorts:
            sort = default_sort
        return cls(
            path=request.url.path,
            params=tuple((k, v) for k, v in query.multi_items() if v != ""),
            page=max(1, _int(query.get("page"), 1)),
            per_page=_int(query.get("per_page"), PER_PAGE_CHOICES[0])
            if _int(query.get("per_page"), 0) in PER_PAGE_CHOICES
            else PER_PAGE_CHOICES[0],
            sort=sort,
            descending=query.get("order", "desc") != "asc",
        )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def get(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.params if k == name), default)

    def get_all(self, name: str) -> list[str]:
        return [v for k, v in self.params if k == name]

    def url(self, **changes: str | int | None) -> str:
        """This page's URL with some parameters replaced (None removes one)."""
        keep = [(k, v) for k, v in self.params if k not in changes]
        if "page" not in changes:
            keep = [(k, v) for k, v in keep if k != "page"]
        for name, value in changes.items():
            if value is not None and value != "":
                keep.append((name, str(value)))
        return self.path + ("?" + urlencode(keep) if keep else "")

    def sort_url(self, key: str) -> str:
        """Clicking a header sorts by it; clicking the current sort column flips the order."""
        if key == self.sort:
            return self.url(sort=key, order="asc" if self.descending else "desc")
        return self.url(sort=key, order="desc")

    def pages(self, total: int) -> int:
        return max(1, -(-total // self.per_page))


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
