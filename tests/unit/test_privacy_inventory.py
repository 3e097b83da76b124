"""The personal-data inventory covers every text and JSON column of the schema.

A column added to storage/models.py that can hold text (String, Text, enums, which are
strings too) or a JSON document must be listed in bot.privacy.inventory, either as a
personal field with its erasure rule or as not personal with a reason: otherwise names
could be stored where erasure and export never look."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Integer, MetaData, String, Table, Text

from bot.privacy.inventory import FIELDS, NOT_PERSONAL, Erasure, inventoried_columns, unlisted_columns
from storage.models import Base


def test_every_text_and_json_column_is_inventoried_or_declared_not_personal() -> None:
    unlisted = unlisted_columns(Base.metadata)
    assert unlisted == set(), f"add these to bot/privacy/inventory.py (FIELDS or NOT_PERSONAL): {sorted(unlisted)}"


def test_a_new_text_or_json_column_is_caught() -> None:
    """The walk fails for a column nobody listed: the models' tables plus one new table."""
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("participant_note", metadata, Column("id", Integer, primary_key=True), Column("body", Text),
          Column("tags", JSON), Column("label", String(20)), Column("score", Integer))
    assert unlisted_columns(metadata) == {("participant_note", "body"), ("participant_note", "tags"),
                                          ("participant_note", "label")}


def test_the_inventory_names_only_real_columns_and_never_both_ways() -> None:
    real = {(table.name, column.name) for table in Base.metadata.sorted_tables for column in table.columns}
    assert inventoried_columns() - real == set()
    assert set(NOT_PERSONAL) - real == set()
    assert inventoried_columns() & set(NOT_PERSONAL) == set()
    assert all(reason.strip() for reason in NOT_PERSONAL.values())


def test_every_kept_or_placeholder_field_says_why() -> None:
    for entry in FIELDS:
        if entry.erasure in (Erasure.KEEP, Erasure.PLACEHOLDER):
            assert entry.why, entry.label


def test_every_table_an_erasure_reports_has_a_label_in_both_languages() -> None:
    from bot.i18n import t
    from bot.privacy.inventory import PersonRef, person_selects

    nobody = PersonRef(participant_ids=(), round_ids=(), emails=(), slack_user_ids=(), names=(), pair_ids=(),
                       pair_channel_ids=())
    tables = {name for name, _select in person_selects(nobody)} | {"outbox_message"}
    for language in ("en", "da"):
        for table in tables:
            assert t(f"privacy.table.{table}", language, count=1) != t(f"privacy.table.{table}", language, count=2)
