"""Prompt lookup: which tokens it drafts, and how many."""

from __future__ import annotations

from codegen_lsp.engine import lookup


def test_drafts_follow_the_longest_suffix_seen_before_latest_first() -> None:
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
    history = lookup.PromptLookup(list(range(20)) * 2)
    assert len(history.drafts(100)) == lookup.FIRST_DRAFT
    history.checked(lookup.FIRST_DRAFT, lookup.FIRST_DRAFT)
    assert len(history.drafts(100)) == min(lookup.MAX_DRAFT, 2 * lookup.FIRST_DRAFT)
    history.checked(8, 0)  # all wrong: one token next time, where a wrong guess costs little
    assert len(history.drafts(100)) == 1
    history.checked(1, 1)
    history.checked(2, 2)
    assert len(history.drafts(100)) == 4
    history.checked(4, 2)
    assert history.drafts(100) == [0, 1, 2]  # the length that would have passed, plus one
    assert history.drafts(2) == [0, 1]  # never more than the caller has room for
