"""A round with an erased person still makes its report and its match review: the places
that draw stored match reasons and names cope with the emptied parameters."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.matching.review import review_of
from bot.pairs.channels import stored_match_reasons
from bot.privacy.erase import erase_person, erased_name
from bot.privacy.inventory import find_person
from bot.reports import write_report
from bot.slack.render.match_review import proposal_lines
from bot.slack.render.pair_intro import render_match_reasons
from storage.models import MatchProposal, Pair
from tests.support.personal_data import EMAIL, NAME, seed_erasure_world
from tests.support.report_round import REPORT_NOW

NOW = datetime(2027, 8, 1, 9, 0, tzinfo=timezone.utc)


def test_the_report_and_the_review_draw_an_erased_person(session: Session, tmp_path: Path) -> None:
    seeded = seed_erasure_world(session)
    person = find_person(session, email=EMAIL)
    assert person is not None
    erase_person(session, person, now=NOW)
    out = tmp_path / "report.xlsx"
    write_report(session, round_ids=[seeded.world.round_id], out=out, language="en", pseudonymise=False,
                 now=REPORT_NOW)
    people = [row[0] for row in load_workbook(out)["People"].iter_rows(values_only=True)]
    assert erased_name(seeded.her_ids[0]) in people and NAME not in people
    lines = proposal_lines(review_of(session.scalars(select(MatchProposal)).one()), language="en")
    assert any(erased_name(seeded.her_ids[0]) in line for line in lines)
    pair = session.get_one(Pair, seeded.pair_ids[0])
    # The introduction leaves out a reason whose facts are gone rather than show "{field}".
    assert pair.match_reasons and all(reason["params"] == {} for reason in pair.match_reasons)
    for language in ("en", "da"):
        assert render_match_reasons(stored_match_reasons(pair.match_reasons), language) == []
