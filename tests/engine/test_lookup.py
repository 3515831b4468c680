"""Prompt lookup: which tokens it drafts, and how many."""

from __future__ import annotations

from codegen_lsp.engine import lookup


def test_drafts_follow_the_longest_suffix_seen_before_latest_first(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(lookup, "draft_length", lambda rate, most: most)  # as many as asked
    # 1 2 3 9 | 5 2 3 7 7 | 2 3: the 2-gram "2 3" was last followed by 7 7.
    history = lookup.PromptLookup([1, 2, 3, 9, 5, 2, 3, 7, 7, 2, 3])
    assert history.drafts(3) == [7, 7, 2]
    # "1 2 3" (a 3-gram) beats the later "2 3": the longer match decides.
    history.append(4)
    history.append(1)
    history.append(2)
    history.append(3)
    assert history.drafts(3) == [9, 5, 2]
    assert history.drafts(0) == []
    assert lookup.PromptLookup([1, 2, 3]).drafts(4) == []  # nothing repeats yet
    assert lookup.PromptLookup([]).drafts(4) == []


def test_draft_length_follows_how_many_were_kept() -> None:
    # Unknown odds (1/2): one token; likelier kept, longer drafts; rarely kept, none.
    assert lookup.draft_length(0.5, 8) == 1
    assert lookup.draft_length(0.2, 8) == 0
    assert 1 < lookup.draft_length(0.8, 8) < lookup.draft_length(0.97, 8) == 8
    assert lookup.draft_length(0.97, 3) == 3
    history = lookup.PromptLookup(list(range(20)) * 3)
    assert history.drafts(100) == [0]
    lengths = []
    for _ in range(6):  # every draft kept: the drafts grow
        drafted = history.drafts(100)
        lengths.append(len(drafted))
        history.checked(len(drafted), len(drafted))
    assert lengths == sorted(lengths) and lengths[-1] >= 4
    for _ in range(20):  # every draft wrong: they shrink to none
        drafted = history.drafts(100)
        if not drafted:
            break
        history.checked(len(drafted), 0)
    assert not drafted
    # Not drafting, the record fades: a few matches later it tries one token again.
    assert any(len(history.drafts(100)) == 1 for _ in range(10))
    assert history.drafts(1) in ([], [0])  # never more than the caller has room for


def test_earlier_samples_draft_where_the_request_has_no_match(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(lookup, "draft_length", lambda rate, most: most)  # as many as asked
    written = lookup.WrittenBefore()
    written.add([5, 6, 7, 8, 9])
    written.add([40, 41, 42])
    history = lookup.PromptLookup([1, 2, 5, 6], earlier=written)
    assert history.drafts(3) == [7, 8, 9]  # "5 6" was followed by 7 8 9 in an earlier sample
    # The request's own text comes first for a match as long.
    history = lookup.PromptLookup([5, 6, 3, 5, 6], earlier=written)
    assert history.drafts(2) == [3, 5]
    # A longer match in an earlier sample beats a shorter one in the request.
    history = lookup.PromptLookup([6, 1, 5, 6], earlier=written)
    assert history.drafts(2) == [7, 8]
    # Suffixes never span two samples: 9 then 40 were not written together.
    assert written.following((9, 40), 3) == [] and written.following((40,), 3) == [41, 42]
    assert lookup.PromptLookup([9, 40], earlier=written).drafts(2) == [41, 42]
    assert lookup.PromptLookup([1, 2, 5, 6]).drafts(3) == []  # none remembered: none drafted


def test_earlier_samples_are_bounded_and_forgotten() -> None:
    written = lookup.WrittenBefore(limit=10)
    written.add([1, 2, 3, 4, 5, 6])
    written.add([11, 12, 13, 14, 15, 16])
    assert len(written) == 12 and written.following((1, 2), 2) == [3, 4]
    written.add([21, 22, 23, 24, 25, 26, 27, 28, 29])  # past twice the limit: the latest fit
    assert len(written) == 9
    assert written.following((1, 2), 2) == [] and written.following((13, 14), 2) == []
    assert written.following((21,), 1) == [22]
    written.add([31, 32])
    assert len(written) == 11 and written.following((29, 31), 1) == []  # still within samples
    written.add([])
    assert len(written) == 11
    written.clear()
    assert len(written) == 0 and written.following((21,), 1) == []
