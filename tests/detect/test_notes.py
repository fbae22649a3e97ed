"""Why a kind found nothing, on hand-built stores (the real sample is in test_detect_real.py):
the notes follow the data and the parameters, and go away when the data allows the kind."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

import cargotrace
from cargotrace.detect.notes import NO_POSITIONS, most_place_changes
from cargotrace.detect.run import detect

from .factories import T0, add_port, make_report, store_rows, track


def test_a_window_with_reports_only(tmp_store: cargotrace.Store) -> None:
    """Positions before the window, a rename inside it: identity still finds the rename
    (static reports need no positions), every other kind says there were no positions."""
    store_rows(tmp_store, track(hours=1), [
        make_report(ts=T0 + timedelta(hours=k), name="SEA STAR" if k < 3 else "POLAR C88")
        for k in range(2, 5)])
    summary = detect(tmp_store, since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=5))
    assert summary.written["identity"] == 1
    assert "identity" not in summary.notes
    assert {k: v for k, v in summary.notes.items()} == {
        k: [NO_POSITIONS] for k in summary.written if k != "identity"}


def test_notes_follow_the_data(tmp_store: cargotrace.Store) -> None:
    """A 3 h track, no static reports, no places loaded: identity says it cannot see renames;
    port visits and loitering have places all the same (detect writes the packaged world
    gazetteer into the store first), so no place note; the capture is long enough."""
    store_rows(tmp_store, track(every_s=60, hours=3))
    assert tmp_store.count("places") == 0
    notes = detect(tmp_store, kinds=["identity", "loitering", "port_visit"]).notes
    assert notes["identity"][0].startswith("no static reports in the window: name, IMO")
    assert tmp_store.count("places") > 5000
    assert "loitering" not in notes and "port_visit" not in notes
    add_port(tmp_store)
    notes = detect(tmp_store, kinds=["loitering", "port_visit"]).notes
    assert "loitering" not in notes and "port_visit" not in notes
    # a 4 h minimum on a 3 h track: the capture is too short, and the note says by how much
    notes = detect(tmp_store, kinds=["loitering"],
                   overrides={"loitering.min_duration_h": "4"}).notes
    assert notes["loitering"] == [
        "capture too short: no vessel is followed for 4.0 h (min_duration_h) without a "
        "silence over 1.0 h (max_interpolate_gap_h); the longest such track lasts 3.0 h, so no "
        "loitering can be found"]


def _changes_by_brute_force(calls: list[tuple[str, ...]]) -> int:
    """Every way of putting each call at one of its places, the most changes among them."""
    best = 0
    for chosen in itertools.product(*calls):
        best = max(best, sum(a != b for a, b in itertools.pairwise(chosen)))
    return best


@pytest.mark.parametrize("calls", [
    pytest.param([("najin",), ("dunay", "vostochny"), ("najin",), ("dunay",)], id="one_dark"),
    pytest.param([("najin",), ("najin", "dunay"), ("najin",), ("najin", "vostochny")],
                 id="dark_at_the_same_port_or_not"),
    pytest.param([("dunay", "vostochny"), ("vostochny", "dunay"), ("dunay",)],
                 id="only_ambiguous"),
    pytest.param([("najin",), ("najin",), ("najin",)], id="never_moves"),
])
def test_issue_15_dark_calls_count_at_any_candidate(calls: list[tuple[str, ...]]) -> None:
    """The shuttle note's bound counts a dark call at whichever candidate gives the most place
    changes, not at the first-ranked one (which could say 'no trips' while the detector, which
    places each dark call by the vessel's other calls, finds some): checked against trying every
    assignment."""
    assert most_place_changes(calls) == _changes_by_brute_force(calls)
    first_ranked = sum(a[0] != b[0] for a, b in itertools.pairwise(calls))
    assert most_place_changes(calls) >= first_ranked


def test_notes_ask_each_question_of_the_engine_once(tmp_store: cargotrace.Store,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A 40-minute capture: gaps, dark voyages, encounters and loitering all say why they
    found nothing, from the same first position and the same longest track; each answer is
    one query of the engine for the whole run (a job of a second or more on Spark), not one
    per kind. The count expected is the distinct questions, from the preset itself."""
    from cargotrace.detect import notes as notes_module
    from cargotrace.detect.presets import resolve

    asked: list[str] = []
    real = notes_module.to_arrow

    def counted(expr: object, *args: object, **kwargs: object) -> object:
        asked.append(str(type(expr)))
        return real(expr, *args, **kwargs)

    monkeypatch.setattr(notes_module, "to_arrow", counted)
    store_rows(tmp_store, track(every_s=60, hours=40 / 60))
    kinds = ["gap", "dark_voyage", "encounter", "loitering"]
    summary = detect(tmp_store, kinds=kinds)
    preset = resolve("gfw", {})
    silences = {preset.encounter.max_interpolate_gap_h, preset.loitering.max_interpolate_gap_h}
    assert summary.notes["encounter"][0].startswith("capture too short")
    assert summary.notes["loitering"][0].startswith("capture too short")
    assert summary.notes["gap"][0].startswith("capture too short")
    assert len(asked) == 1 + len(silences)  # the first position's time, one longest track each
