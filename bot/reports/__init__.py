"""The funder's Excel report of one or more rounds (issue 11): see `bot.reports.workbook`."""

from bot.reports.workbook import (
    SHEETS,
    ReportSummary,
    pseudonym,
    report_language,
    rounds_of_programme,
    write_report,
)

__all__ = ["SHEETS", "ReportSummary", "pseudonym", "report_language", "rounds_of_programme", "write_report"]
