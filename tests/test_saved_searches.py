"""Saved searches (searches.toml in the config dir) and the search history (data dir)."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

import pytest

from tui.services.atomic import write_atomic
from tui.services.filter_builder import SearchSpec
from tui.services.saved_searches import HISTORY_LIMIT, SearchStore, StoreError

RANKED = SearchSpec(fleet_id="fleet-1", filter_expression="gameSessionProperties.mode = 'ranked'",
                    sort_expression="creationTimeMillis DESC")
OPEN = SearchSpec(alias_id="alias-9", location="eu-west-1",
                  filter_expression="maximumSessions >= 10 AND hasAvailablePlayerSessions = true")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_live_under_the_app_home(home: Path) -> None:
    store = SearchStore()
    assert store.saved_path == home / "config" / "searches.toml"
    assert store.history_path == home / "data" / "search-history.json"
    assert store.saved() == {} and store.history() == []


def test_save_and_load_round_trip_in_file_order(home: Path) -> None:
    store = SearchStore()
    names = ["zeta ranked", 'quote "and" dot.name', "ünïcode ☃", "Matt's"]
    specs = [RANKED, OPEN, SearchSpec(fleet_id="f"), SearchSpec(fleet_id="g", location="x")]
    for name, spec in zip(names, specs, strict=True):
        assert store.save(f"  {name} ", spec) == name  # names are trimmed
    loaded = SearchStore().saved()
    assert list(loaded) == names
    assert list(loaded.values()) == specs
    # The file is plain TOML a person can read: one table per search, empty fields left out.
    data = tomllib.loads(store.saved_path.read_text())
    assert data["searches"]["zeta ranked"] == {
        "fleet_id": "fleet-1", "filter_expression": "gameSessionProperties.mode = 'ranked'",
        "sort_expression": "creationTimeMillis DESC"}
    assert mode(store.saved_path) == 0o600
    assert mode(store.saved_path.parent) == 0o700


def test_saving_under_an_existing_name_replaces_it_in_place(home: Path) -> None:
    store = SearchStore()
    store.save("a", RANKED)
    store.save("b", OPEN)
    store.save("a", OPEN)
    assert store.saved() == {"a": OPEN, "b": OPEN}
    assert list(store.saved()) == ["a", "b"]


def test_rename(home: Path) -> None:
    store = SearchStore()
    store.save("first", RANKED)
    store.save("second", OPEN)
    store.save("third", SearchSpec(fleet_id="f"))
    assert store.rename("second", " 2nd ") == "2nd"
    assert list(store.saved()) == ["first", "2nd", "third"]  # keeps its place
    assert store.saved()["2nd"] == OPEN
    before = store.saved_path.read_bytes()
    with pytest.raises(StoreError, match="'third' exists already"):
        store.rename("first", "third")
    with pytest.raises(StoreError, match="no saved search named 'second'"):
        store.rename("second", "x")
    assert store.saved_path.read_bytes() == before
    assert store.rename("first", "first") == "first"
    assert list(store.saved()) == ["first", "2nd", "third"]


def test_delete(home: Path) -> None:
    store = SearchStore()
    store.save("keep", RANKED)
    store.save("drop", OPEN)
    store.delete("drop")
    assert store.saved() == {"keep": RANKED}
    with pytest.raises(StoreError, match="no saved search named 'drop'"):
        store.delete("drop")
    store.delete("keep")
    assert store.saved() == {}


@pytest.mark.parametrize(("name", "words"), [
    ("", "needs a name"), ("   ", "needs a name"), ("x" * 65, "at most 64"),
    ("tab\there", "control characters"), ("new\nline", "control characters"),
])
def test_bad_names_are_refused_before_anything_is_written(home: Path, name: str,
                                                          words: str) -> None:
    store = SearchStore()
    with pytest.raises(StoreError, match=words):
        store.save(name, RANKED)
    assert not store.saved_path.exists()
    assert store.save("x" * 64, RANKED) == "x" * 64


def test_history_newest_first_deduplicated_and_capped(home: Path) -> None:
    store = SearchStore()
    specs = [SearchSpec(fleet_id="f", filter_expression=f"maximumSessions = {i}")
             for i in range(HISTORY_LIMIT + 5)]
    for spec in specs:
        store.record(spec)
    history = SearchStore().history()
    assert HISTORY_LIMIT == 20
    assert history == list(reversed(specs))[:20]
    # Running an older search again moves it to the front instead of adding a copy.
    store.record(specs[10])
    history = store.history()
    assert history[0] == specs[10]
    assert history.count(specs[10]) == 1
    assert len(history) == 20
    assert history[1:] == [s for s in reversed(specs) if s != specs[10]][:19]
    assert mode(store.history_path) == 0o600


def test_damaged_history_reads_empty_and_is_rewritten(home: Path) -> None:
    store = SearchStore()
    store.history_path.parent.mkdir(parents=True, exist_ok=True)
    for junk in ("{not json", '{"a": 1}', "42", '["x"]'):
        store.history_path.write_text(junk)
        assert store.history() == []
    store.record(RANKED)
    assert store.history() == [RANKED]


@pytest.mark.parametrize("text", [
    "[searches\nbroken = ",                      # not TOML at all
    "searches = 5\n",                            # [searches] is not a table
    "[searches]\nmine = 'not a table'\n",        # one search is not a table
    b"\xff\xfe[searches]\n",                     # not UTF-8
])
def test_broken_file_is_named_and_left_untouched(home: Path, text: str | bytes) -> None:
    store = SearchStore()
    store.saved_path.parent.mkdir(parents=True, exist_ok=True)
    raw = text if isinstance(text, bytes) else text.encode()
    store.saved_path.write_bytes(raw)
    stamp = store.saved_path.stat().st_mtime_ns
    for attempt in (store.saved, lambda: store.save("new", RANKED),
                    lambda: store.rename("mine", "yours"), lambda: store.delete("mine")):
        with pytest.raises(StoreError) as caught:
            attempt()
        assert str(store.saved_path) in str(caught.value)
    assert store.saved_path.read_bytes() == raw
    assert store.saved_path.stat().st_mtime_ns == stamp
    assert sorted(p.name for p in store.saved_path.parent.iterdir()) == ["searches.toml"]


def test_hand_written_file_with_comments_loads(home: Path) -> None:
    store = SearchStore()
    store.saved_path.parent.mkdir(parents=True, exist_ok=True)
    store.saved_path.write_text(
        "# mine\n[searches.\"full arenas\"]\nfleet_id = \"fleet-2\"  # the EU one\n"
        "filter_expression = \"playerSessionCount >= 8\"\nunknown_field = 1\n")
    assert store.saved() == {"full arenas": SearchSpec(
        fleet_id="fleet-2", filter_expression="playerSessionCount >= 8")}


def test_write_atomic_replaces_with_an_owner_only_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "file.toml"
    write_atomic(target, b"one")
    target.chmod(0o644)
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert mode(target) == 0o600
    # A write that fails half-way leaves the old file and no temporary file behind.
    with pytest.raises(TypeError):
        write_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file.toml"]
