"""The demo traffic's searches: each distinct search is run once through the real engine
while the index stays the same, and its answer is logged again for every repeat."""

from portal.kb.translations import reader_language
from portal.searching.params import SearchParams
from portal.searching.service import search_index
from search.backend import SearchResults


class SearchMemo:
    """The engine's answers for the index as it is now. The demo traffic changes the index
    only when a day's votes and posts are drained, and then calls forget(): every answer
    given is the one the engine would give at that moment. (Another process writing the
    index meanwhile would not be seen: demo data is for a portal nobody else uses.)"""

    def __init__(self) -> None:
        self._answers: dict[tuple, SearchResults] = {}
        self.searched = 0  # how many searches reached the engine

    def results(self, params: SearchParams) -> SearchResults:
        """What search_index(params) returns now; the answer is shared, so only read it.
        Not highlighted: nobody sees the hits of demo searches."""
        key = (
            params.q,
            params.doc_type,
            params.category.id if params.category else None,
            params.language,
            params.page,
            reader_language(),
        )
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = search_index(params, highlight=False)
            self.searched += 1
        return answer

    def forget(self) -> None:
        """The index changed: search afresh from now on."""
        self._answers.clear()
